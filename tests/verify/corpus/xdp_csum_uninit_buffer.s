# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written|stack
# why: csum_diff reads 8 uninitialised stack bytes

mov %r1, %r10
add %r1, -8
mov %r2, 8
mov %r3, 0
mov %r4, 0
mov %r5, 0
call 28
mov %r0, 2
exit
