# profile: chamelio/rx
# expect: reject leak|pointer
# why: the emitted bytes hold a spilled stack pointer

stxdw [%r10-8], %r10
mov %r2, %r10
add %r2, -8
mov %r3, 8
call 1003
mov %r0, 1
exit
