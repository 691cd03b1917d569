# profile: chamelio/rx
# expect: reject flow|bounds|range|outside
# flow: 16
# why: an 8-byte store at offset 12 of a 16-byte flow state

ldxdw %r2, [%r1+16]      # r2 = flow state or NULL
jeq %r2, 0, out
stdw [%r2+12], 0
out:
mov %r0, 3
exit
