# profile: xdp
# expect: reject null|holds a number
# map: hash key=4 value=8 entries=4
# why: map_lookup_elem may return NULL; no check before the read

stw [%r10-4], 0
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
ldxdw %r1, [%r0+0]
mov %r0, 2
exit
