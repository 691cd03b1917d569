# profile: xdp
# expect: reject pointer
# why: or-ing bits into a packet pointer

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
or %r2, 1
mov %r0, 2
exit
