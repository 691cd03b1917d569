# profile: xdp
# expect: accept
# cost: 8
# why: the access is on the taken side of pkt + 2 <= end

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 2
jle %r4, %r3, ok
mov %r0, 1
exit
ok:
ldxh %r0, [%r2+0]
and %r0, 1
exit
