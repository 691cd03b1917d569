# profile: xdp
# expect: accept
# cost: 3
# why: a scalar field of xdp_md, masked into the verdict range

ldxw %r0, [%r1+12]
and %r0, 1
exit
