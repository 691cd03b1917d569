# profile: chamelio/rx
# expect: accept
# flow: 16
# why: an atomic add into the flow state

ldxdw %r2, [%r1+16]      # r2 = flow state or NULL
jeq %r2, 0, out
mov %r3, 1
lock add [%r2+0], %r3
out:
mov %r0, 1
exit
