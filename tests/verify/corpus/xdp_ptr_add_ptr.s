# profile: xdp
# expect: reject pointer
# why: adding two pointers

mov %r2, %r10
add %r2, %r1
mov %r0, 2
exit
