# profile: xdp
# expect: accept
# cost: 2
# why: the smallest valid XDP program: return XDP_PASS

mov %r0, 2
exit
