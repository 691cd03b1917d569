# profile: xdp
# expect: accept
# cost: 31
# map: array key=4 value=8 entries=4
# why: map_lookup_elem, a null check, then a read-modify-write of the 8-byte value

stw [%r10-4], 0
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
ldxdw %r1, [%r0+0]
add %r1, 1
stxdw [%r0+0], %r1
out:
mov %r0, 2
exit
