# profile: chamelio/rx
# expect: reject leak|pointer
# map: array key=4 value=8 entries=1
# flow: 16
# why: the flow pointer stored into a map value

mov %r6, %r1
stw [%r10-4], 0
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
ldxdw %r2, [%r6+16]
stxdw [%r0+0], %r2
out:
mov %r0, 3
exit
