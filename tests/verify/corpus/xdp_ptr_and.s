# profile: xdp
# expect: reject pointer
# why: masking a stack pointer

mov %r2, %r10
and %r2, -16
stdw [%r2-8], 0
mov %r0, 2
exit
