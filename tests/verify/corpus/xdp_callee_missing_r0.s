# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written
# why: the callee exits without setting r0, which the caller uses

mov %r1, 0
call local f
and %r0, 3
exit
f:
mov %r2, 1
exit
