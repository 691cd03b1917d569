# profile: xdp
# expect: accept
# cost: 10
# why: r4 = pkt + 14 is checked with r4 + 20 and read at [r4+19]

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 14
mov %r5, %r4
add %r5, 20
jgt %r5, %r3, out
ldxb %r0, [%r4+19]
and %r0, 3
exit
out:
mov %r0, 2
exit
