# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written|stack
# why: reads a stack slot never written

ldxdw %r0, [%r10-8]
and %r0, 1
exit
