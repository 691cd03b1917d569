# profile: xdp
# expect: accept
# cost: 2
# why: XDP_REDIRECT (4) is the largest verdict the profile allows

mov %r0, 4
exit
