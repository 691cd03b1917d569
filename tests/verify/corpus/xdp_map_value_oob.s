# profile: xdp
# expect: reject map value|map_value|bounds|range|outside
# map: array key=4 value=8 entries=4
# why: reads bytes 8..15 of an 8-byte value

stw [%r10-4], 0
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
ldxdw %r1, [%r0+8]
out:
mov %r0, 2
exit
