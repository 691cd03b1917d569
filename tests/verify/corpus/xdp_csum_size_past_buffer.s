# profile: xdp
# expect: reject stack|size|bounds|range
# why: 16 bytes from r10-8 run past the frame

stdw [%r10-8], 0
mov %r1, %r10
add %r1, -8
mov %r2, 16
mov %r3, 0
mov %r4, 0
mov %r5, 0
call 28
mov %r0, 2
exit
