# profile: xdp
# expect: accept
# cost: 6
# why: 32-bit division by an unknown (maybe zero) register

ldxw %r0, [%r1+16]
ldxw %r2, [%r1+12]
div32 %r0, %r2
and %r0, 3
mov %r0, %r0
exit
