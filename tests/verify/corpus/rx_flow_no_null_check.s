# profile: chamelio/rx
# expect: reject null|holds a number
# flow: 16
# why: ctx->flow is NULL when the packet matched no flow

ldxdw %r2, [%r1+16]      # r2 = flow state or NULL
ldxw %r0, [%r2+0]
and %r0, 3
exit
