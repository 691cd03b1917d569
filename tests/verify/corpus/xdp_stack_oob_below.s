# profile: xdp
# expect: reject stack
# why: r10-520 is below the 512-byte frame

stdw [%r10-520], 0
mov %r0, 2
exit
