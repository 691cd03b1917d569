# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written
# why: r5 is not initialised at entry (only r1 and r10 are)

mov %r0, %r5
and %r0, 1
exit
