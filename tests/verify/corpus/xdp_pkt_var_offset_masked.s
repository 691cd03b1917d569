# profile: xdp
# expect: accept
# why: a variable offset 0..7 (masked) is added to pkt, then pkt + var + 8 is checked before the read

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, out
ldxb %r5, [%r2+0]
and %r5, 7
mov %r4, %r2
add %r4, %r5
mov %r6, %r4
add %r6, 8
jgt %r6, %r3, out
ldxdw %r0, [%r4+0]
and %r0, 3
exit
out:
mov %r0, 2
exit
