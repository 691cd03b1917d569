# profile: socket_filter
# expect: accept
# map: array key=4 value=8 entries=256
# why: count packets per protocol byte in an array map

ldxw %r2, [%r1+16]
and %r2, 255
stxw [%r10-4], %r2
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
mov %r1, 1
lock add [%r0+0], %r1
out:
mov %r0, 0
exit
