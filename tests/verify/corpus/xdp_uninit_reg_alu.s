# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written
# why: adds an uninitialised r3

mov %r0, 1
add %r0, %r3
and %r0, 1
exit
