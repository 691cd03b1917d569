# profile: xdp
# expect: accept
# cost: 3
# why: r10-512 is the lowest byte of the 512-byte frame

stdw [%r10-512], 1
ldxdw %r0, [%r10-512]
exit
