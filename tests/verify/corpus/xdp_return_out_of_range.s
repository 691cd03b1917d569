# profile: xdp
# expect: reject return|r0|range
# why: 5 is not an XDP verdict (0..4)

mov %r0, 5
exit
