# profile: chamelio/rx
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written|stack
# why: emit reads 16 stack bytes of which 8 were written

stdw [%r10-8], 0
mov %r2, %r10
add %r2, -16
mov %r3, 16
call 1003
mov %r0, 1
exit
