# profile: xdp
# expect: reject packet
# why: the check covers r2 + 14 but the read goes through r5 = r2 + 20

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
mov %r5, %r2
add %r5, 20
ldxb %r0, [%r5+0]
and %r0, 1
exit
out:
mov %r0, 2
exit
