# profile: xdp
# expect: reject return|r0|range
# why: an unconstrained u32 is not in 0..4

ldxw %r0, [%r1+12]
exit
