# profile: xdp
# expect: reject stack|align|spill
# why: a pointer spilled across two stack slots (r10-12) cannot be tracked: it could be rebuilt from mixed bytes

stxdw [%r10-12], %r1
ldxdw %r1, [%r10-12]
ldxw %r0, [%r1+12]
and %r0, 1
exit
