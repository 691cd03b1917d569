# profile: socket_filter
# expect: reject null|holds a number
# map: hash key=4 value=8 entries=4
# why: the lookup result is used without a null check

stw [%r10-4], 0
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
ldxdw %r0, [%r0+0]
exit
