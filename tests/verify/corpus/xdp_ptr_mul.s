# profile: xdp
# expect: reject pointer
# why: multiplying a packet pointer

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mul %r2, 2
mov %r0, 2
exit
