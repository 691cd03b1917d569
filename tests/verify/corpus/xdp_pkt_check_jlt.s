# profile: xdp
# expect: accept
# cost: 8
# why: the check written as end < pkt + 20 (jlt)

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 20
jlt %r3, %r4, out
ldxw %r0, [%r2+16]
and %r0, 3
exit
out:
mov %r0, 2
exit
