# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written
# why: stores an uninitialised r4 to the stack

stxdw [%r10-8], %r4
mov %r0, 2
exit
