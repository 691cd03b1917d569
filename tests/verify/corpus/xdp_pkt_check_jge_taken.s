# profile: xdp
# expect: accept
# cost: 8
# why: the access is on the taken side of end >= pkt + 4

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 4
jge %r3, %r4, ok
mov %r0, 1
exit
ok:
ldxw %r0, [%r2+0]
and %r0, 1
exit
