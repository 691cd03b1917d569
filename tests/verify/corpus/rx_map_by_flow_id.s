# profile: chamelio/rx
# expect: accept
# map: hash key=4 value=8 entries=64
# why: a per-flow counter keyed by ctx->flow_id

ldxw %r2, [%r1+32]
stxw [%r10-4], %r2
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
mov %r1, 1
lock add [%r0+0], %r1
out:
mov %r0, 1
exit
