# profile: xdp
# expect: reject helper|argument|arg|r1|scalar|pointer
# why: csum_diff's first argument must point to memory, not be a scalar

mov %r1, 4096
mov %r2, 4
mov %r3, 0
mov %r4, 0
mov %r5, 0
call 28
mov %r0, 2
exit
