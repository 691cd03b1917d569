# profile: xdp
# expect: accept
# cost: 3
# why: egress_ifindex, the last xdp_md field

ldxw %r0, [%r1+20]
and %r0, 3
exit
