# profile: xdp
# expect: reject stack
# why: r10+8 is above the frame

stdw [%r10+8], 0
mov %r0, 2
exit
