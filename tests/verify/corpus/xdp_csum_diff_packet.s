# profile: xdp
# expect: accept
# why: csum_diff over two 4-byte pieces of checked packet bytes

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 20
jgt %r4, %r3, out
mov %r1, %r2
mov %r3, %r2
add %r3, 4
mov %r2, 4
mov %r4, 4
mov %r5, 0
call 28
and %r0, 3
exit
out:
mov %r0, 2
exit
