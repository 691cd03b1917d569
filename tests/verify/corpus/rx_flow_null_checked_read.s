# profile: chamelio/rx
# expect: accept
# cost: 5
# flow: 16
# why: the tenant flow state read after a null check

ldxdw %r2, [%r1+16]      # r2 = flow state or NULL
jeq %r2, 0, out
ldxw %r0, [%r2+0]
and %r0, 3
exit
out:
mov %r0, 3
exit
