# profile: xdp
# expect: reject pointer
# why: the stack pointer minus the packet pointer reveals an address difference

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r0, %r10
sub %r0, %r2
and %r0, 1
exit
