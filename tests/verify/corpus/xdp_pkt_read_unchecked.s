# profile: xdp
# expect: reject packet
# why: reads the first packet byte without any bounds check

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
ldxb %r0, [%r2+0]
and %r0, 1
exit
