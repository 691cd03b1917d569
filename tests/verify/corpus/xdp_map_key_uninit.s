# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written|stack|key
# map: array key=4 value=8 entries=4
# why: the key on the stack was never written

lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
mov %r0, 2
exit
