# profile: chamelio/rx
# expect: accept
# cost: 5
# why: the provider flow state is readable after a null check

ldxdw %r2, [%r1+24]      # r2 = provider flow state or NULL
jeq %r2, 0, out
ldxw %r0, [%r2+44]
and %r0, 3
exit
out:
mov %r0, 3
exit
