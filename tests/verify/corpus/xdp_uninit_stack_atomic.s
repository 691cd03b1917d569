# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written|stack
# why: an atomic add reads the uninitialised slot it updates

mov %r2, 1
lock add [%r10-8], %r2
mov %r0, 2
exit
