# profile: xdp
# expect: reject stack
# why: a copy of r10 moved 16 bytes up, then written

mov %r2, %r10
add %r2, 16
stdw [%r2+0], 0
mov %r0, 2
exit
