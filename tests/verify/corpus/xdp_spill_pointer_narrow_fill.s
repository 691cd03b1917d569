# profile: xdp
# expect: reject leak|pointer|spill|uninit|not initialized|uninitialized|not init|read before it is written
# why: a 4-byte load of half a spilled ctx pointer returns address bits

stxdw [%r10-8], %r1
ldxw %r0, [%r10-8]
and %r0, 1
exit
