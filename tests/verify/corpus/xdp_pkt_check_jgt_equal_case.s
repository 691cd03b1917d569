# profile: xdp
# expect: reject packet
# why: jge instead of jgt with the access on the taken side: end >= pkt + 14 is not ensured on the fall-through

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 14
jge %r4, %r3, ok
mov %r0, 1
exit
ok:
ldxb %r0, [%r2+0]
and %r0, 1
exit
