# profile: xdp
# expect: reject map|index|invalid
# map: array key=4 value=8 entries=4
# why: lddw refers to map 3 of a program with one map

stw [%r10-4], 0
lddw %r1, map_fd(3)
mov %r2, %r10
add %r2, -4
call 1
mov %r0, 2
exit
