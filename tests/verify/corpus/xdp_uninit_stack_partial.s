# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written|stack
# why: 4 of the 8 bytes read were written

stw [%r10-8], 0
ldxdw %r0, [%r10-8]
and %r0, 1
exit
