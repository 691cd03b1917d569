# profile: socket_filter
# expect: reject leak|pointer
# why: a stack address stored into cb[] leaks it

mov %r2, %r10
stxw [%r1+48], %r2
mov %r0, 0
exit
