# profile: xdp
# expect: reject scalar|pointer|invalid|holds a number|uninit|not initialized|uninitialized|not init|read before it is written
# why: a spilled ctx pointer partly overwritten is no longer a pointer when filled

stxdw [%r10-8], %r1
stb [%r10-8], 0
ldxdw %r1, [%r10-8]
ldxw %r0, [%r1+12]
and %r0, 1
exit
