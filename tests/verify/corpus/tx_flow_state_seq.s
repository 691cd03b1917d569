# profile: chamelio/tx
# expect: accept
# flow: 16
# why: read and advance a sequence number in the flow state

ldxdw %r2, [%r1+16]      # r2 = flow state or NULL
jeq %r2, 0, out
ldxw %r3, [%r2+4]
add32 %r3, 64
stxw [%r2+4], %r3
mov %r0, 2
exit
out:
mov %r0, 3
exit
