# profile: xdp
# expect: reject null|holds a number
# map: hash key=4 value=8 entries=4
# why: the null check tests r0, but r6 was loaded from a second lookup

stw [%r10-4], 0
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
mov %r6, %r0
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
ldxdw %r1, [%r6+0]
out:
mov %r0, 2
exit
