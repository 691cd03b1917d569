# profile: xdp
# expect: reject map value|map_value|bounds|range|outside|unbounded
# map: array key=4 value=64 entries=1
# why: an unbounded ctx value added to the value pointer

mov %r6, %r1
stw [%r10-4], 0
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
ldxw %r5, [%r6+12]
add %r0, %r5
ldxb %r1, [%r0+0]
out:
mov %r0, 2
exit
