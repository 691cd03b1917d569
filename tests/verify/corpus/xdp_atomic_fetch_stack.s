# profile: xdp
# expect: accept
# why: atomic fetch-add and xchg on the stack (cpu v3)

stdw [%r10-8], 1
mov %r2, 1
lock fetch add [%r10-8], %r2
lock xchg [%r10-8], %r2
mov %r0, %r2
and %r0, 3
exit
