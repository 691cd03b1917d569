# profile: chamelio/rx
# expect: accept
# flow: 16
# why: the tenant part of the flow state is writable

ldxdw %r2, [%r1+16]      # r2 = flow state or NULL
jeq %r2, 0, out
ldxdw %r3, [%r2+8]
add %r3, 1
stxdw [%r2+8], %r3
mov %r0, 1
exit
out:
mov %r0, 3
exit
