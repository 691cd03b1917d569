# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written|r4|argument
# map: hash key=8 value=8 entries=4
# why: r4 (the flags) was never set

stdw [%r10-8], 1
stdw [%r10-16], 1
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -8
mov %r3, %r10
add %r3, -16
call 2
mov %r0, 2
exit
