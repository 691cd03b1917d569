# profile: chamelio/rx
# expect: reject null|holds a number
# flow: 16
# why: the read is on the NULL side of the check

ldxdw %r2, [%r1+16]      # r2 = flow state or NULL
jne %r2, 0, out
ldxw %r0, [%r2+0]
and %r0, 3
exit
out:
mov %r0, 3
exit
