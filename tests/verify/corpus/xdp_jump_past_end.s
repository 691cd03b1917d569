# profile: xdp
# expect: reject jump|range|out of|bounds
# why: ja +5 lands past the last instruction

mov %r0, 2
ja +5
exit
