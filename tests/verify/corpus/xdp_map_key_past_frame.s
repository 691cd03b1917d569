# profile: xdp
# expect: reject stack|key|bounds|range
# map: hash key=8 value=8 entries=4
# why: an 8-byte key read from r10-4 runs past the frame

stw [%r10-4], 0
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
mov %r0, 2
exit
