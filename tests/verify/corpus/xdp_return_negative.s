# profile: xdp
# expect: reject return|r0|range
# why: -1 as a 64-bit value is far outside 0..4

mov %r0, -1
exit
