# profile: xdp
# expect: accept
# cost: 6
# why: byte swaps of a packet-free scalar

ldxw %r0, [%r1+12]
be16 %r0
le32 %r0
bswap64 %r0
and %r0, 3
exit
