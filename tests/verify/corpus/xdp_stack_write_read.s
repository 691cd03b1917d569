# profile: xdp
# expect: accept
# cost: 3
# why: a stack slot written then read

stdw [%r10-8], 2
ldxdw %r0, [%r10-8]
exit
