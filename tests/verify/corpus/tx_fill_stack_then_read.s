# profile: chamelio/tx
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written|stack
# why: tx_fill may copy fewer bytes than asked (the send buffer may hold less), so the stack buffer is not known to be initialised afterwards

mov %r2, %r10
add %r2, -16
mov %r3, 16
mov %r4, 0
call 1002
ldxdw %r0, [%r10-16]
and %r0, 3
exit
