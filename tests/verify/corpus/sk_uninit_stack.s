# profile: socket_filter
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written|stack
# why: reads an unwritten stack slot

ldxw %r0, [%r10-4]
exit
