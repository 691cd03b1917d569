# profile: xdp
# expect: reject stack|unbounded
# why: the frame pointer minus an unbounded value

ldxw %r5, [%r1+12]
mov %r2, %r10
sub %r2, %r5
stb [%r2-1], 0
mov %r0, 2
exit
