# profile: chamelio/rx
# expect: reject null|holds a number
# why: ctx->pflow may be NULL

ldxdw %r2, [%r1+24]      # r2 = provider flow state or NULL
ldxw %r0, [%r2+0]
and %r0, 3
exit
