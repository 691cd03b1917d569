# profile: xdp
# expect: accept
# map: array key=4 value=8 entries=4
# map: hash key=4 value=16 entries=16
# why: lookups in two different maps, each value checked against its own size

stw [%r10-4], 0
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
ldxdw %r6, [%r0+0]
lddw %r1, map_fd(1)
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
ldxdw %r6, [%r0+8]
out:
mov %r0, 2
exit
