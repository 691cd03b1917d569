# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written
# why: the callee reads r2, which the caller never set

mov %r1, 0
call local f
and %r0, 3
exit
f:
mov %r0, %r2
exit
