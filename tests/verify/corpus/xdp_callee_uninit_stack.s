# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written|stack
# why: the callee's frame is fresh; its slot -8 was never written

stdw [%r10-8], 1
mov %r1, 0
call local f
and %r0, 3
exit
f:
ldxdw %r0, [%r10-8]
exit
