# profile: xdp
# expect: accept
# cost: 8
# why: XDP packets are writable inside the checked range

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 6
jgt %r4, %r3, out
sth [%r2+4], 0x1234
mov %r0, 3
exit
out:
mov %r0, 1
exit
