# profile: chamelio/rx
# expect: reject leak|pointer
# flow: 16
# why: a packet pointer stored in the flow state outlives the packet

ldxdw %r2, [%r1+16]      # r2 = flow state or NULL
jeq %r2, 0, out
ldxdw %r3, [%r1+0]
stxdw [%r2+0], %r3
out:
mov %r0, 3
exit
