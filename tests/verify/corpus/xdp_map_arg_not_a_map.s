# profile: xdp
# expect: reject map|argument|arg|r1
# map: array key=4 value=8 entries=4
# why: r1 must be a map reference (lddw map_fd), here it is a scalar

stw [%r10-4], 0
mov %r1, 0
mov %r2, %r10
add %r2, -4
call 1
mov %r0, 2
exit
