# profile: xdp
# expect: reject packet|unbounded
# why: an unbounded ctx value added to the packet pointer, read without a check

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
ldxw %r5, [%r1+12]
add %r2, %r5
ldxb %r0, [%r2+0]
and %r0, 1
exit
