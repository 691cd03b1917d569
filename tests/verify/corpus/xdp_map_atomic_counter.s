# profile: xdp
# expect: accept
# map: array key=4 value=8 entries=4
# why: an atomic add into a map value after the null check

stw [%r10-4], 0
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
mov %r1, 1
lock add [%r0+0], %r1
out:
mov %r0, 2
exit
