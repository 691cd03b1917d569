# profile: xdp
# expect: accept
# map: array key=4 value=64 entries=1
# why: an index masked to 0..7 and scaled by 8 stays inside a 64-byte value

mov %r6, %r1
stw [%r10-4], 0
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
ldxw %r5, [%r6+12]
and %r5, 7
lsh %r5, 3
add %r0, %r5
ldxdw %r1, [%r0+0]
out:
mov %r0, 2
exit
