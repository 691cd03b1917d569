# profile: chamelio/rx
# expect: reject flow|bounds|range|outside
# flow: 16
# why: byte 16 of a 16-byte flow state

ldxdw %r2, [%r1+16]      # r2 = flow state or NULL
jeq %r2, 0, out
ldxb %r0, [%r2+16]
and %r0, 3
exit
out:
mov %r0, 3
exit
