# profile: xdp
# expect: reject map|pointer|arith
# map: array key=4 value=8 entries=4
# why: arithmetic on a map reference

stw [%r10-4], 0
lddw %r1, map_fd(0)
add %r1, 8
mov %r2, %r10
add %r2, -4
call 1
mov %r0, 2
exit
