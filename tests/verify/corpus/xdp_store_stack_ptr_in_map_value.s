# profile: xdp
# expect: reject leak|pointer
# map: array key=4 value=8 entries=4
# why: a stack address stored in a map value leaks it to whoever reads the map

stw [%r10-4], 0
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
stxdw [%r0+0], %r10
out:
mov %r0, 2
exit
