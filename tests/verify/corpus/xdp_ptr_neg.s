# profile: xdp
# expect: reject pointer
# why: negating a stack pointer

mov %r2, %r10
neg %r2
mov %r0, 2
exit
