# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written
# why: r6 is not passed to a callee: it starts uninitialised there

mov %r6, 1
mov %r1, 0
call local f
and %r0, 3
exit
f:
mov %r0, %r6
exit
