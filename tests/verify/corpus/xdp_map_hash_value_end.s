# profile: xdp
# expect: accept
# map: hash key=4 value=16 entries=16
# why: the last 8 bytes of a 16-byte hash value

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
