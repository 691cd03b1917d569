# profile: xdp
# expect: accept
# cost: 5
# why: the ctx pointer spilled to the stack and filled back keeps its type

stxdw [%r10-16], %r1
ldxdw %r6, [%r10-16]
ldxw %r0, [%r6+12]
and %r0, 1
exit
