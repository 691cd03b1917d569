# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written|stack
# why: the slot is written on one path only

ldxw %r2, [%r1+12]
jeq %r2, 0, skip
stdw [%r10-8], 1
skip:
ldxdw %r0, [%r10-8]
and %r0, 1
exit
