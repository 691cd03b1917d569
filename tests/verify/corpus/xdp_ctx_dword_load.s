# profile: xdp
# expect: reject context|ctx
# why: an 8-byte load over two 4-byte fields

ldxdw %r0, [%r1+12]
and %r0, 1
exit
