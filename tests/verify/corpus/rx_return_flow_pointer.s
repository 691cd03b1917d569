# profile: chamelio/rx
# expect: reject return|r0|leak|pointer
# flow: 16
# why: the flow pointer returned as the verdict

ldxdw %r2, [%r1+16]      # r2 = flow state or NULL
jeq %r2, 0, out
mov %r0, %r2
exit
out:
mov %r0, 3
exit
