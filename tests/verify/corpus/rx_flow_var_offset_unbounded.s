# profile: chamelio/rx
# expect: reject flow|bounds|range|outside|unbounded
# flow: 16
# why: ctx->payload_off added to the flow pointer

ldxdw %r2, [%r1+16]      # r2 = flow state or NULL
jeq %r2, 0, out
ldxh %r5, [%r1+48]
add %r2, %r5
ldxb %r0, [%r2+0]
and %r0, 3
exit
out:
mov %r0, 3
exit
