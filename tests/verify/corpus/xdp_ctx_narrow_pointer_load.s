# profile: xdp
# expect: reject context|ctx
# why: half of the data pointer field: pointer fields must be loaded whole

ldxh %r2, [%r1+0]
mov %r0, 2
exit
