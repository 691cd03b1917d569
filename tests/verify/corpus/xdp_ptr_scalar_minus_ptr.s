# profile: xdp
# expect: reject pointer
# why: a scalar minus a pointer

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r0, 0
sub %r0, %r2
and %r0, 1
exit
