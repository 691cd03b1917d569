# profile: xdp
# expect: reject stack
# why: an 8-byte store at r10-4 runs 4 bytes past the frame

stdw [%r10-4], 0
mov %r0, 2
exit
