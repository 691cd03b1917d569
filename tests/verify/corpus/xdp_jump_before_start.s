# profile: xdp
# expect: reject jump|range|out of|bounds
# why: a conditional jump to pc -2

mov %r0, 2
jeq %r0, 2, -3
exit
