# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written
# why: a helper call clobbers r1..r5; r1 is read afterwards

call 5
ldxw %r0, [%r1+12]
and %r0, 1
exit
