# profile: xdp
# expect: reject leak|pointer
# map: hash key=8 value=8 entries=4
# why: the value copied into the map holds a spilled stack pointer

stdw [%r10-8], 1
stxdw [%r10-16], %r10
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -8
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 2
mov %r0, 2
exit
