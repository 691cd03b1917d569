# profile: xdp
# expect: reject packet
# why: writes the packet without any bounds check

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
stb [%r2+0], 1
mov %r0, 2
exit
