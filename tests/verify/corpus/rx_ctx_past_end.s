# profile: chamelio/rx
# expect: reject context|ctx
# why: offset 64 is past chamelio_ctx

ldxw %r0, [%r1+64]
and %r0, 3
exit
