# profile: xdp
# expect: accept
# cost: 6
# why: data_end - data is a scalar (the length): pointer subtraction inside one region

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r0, %r3
sub %r0, %r2
and %r0, 3
exit
