# profile: xdp
# expect: reject return|r0|leak|pointer
# map: array key=4 value=8 entries=4
# why: the value pointer returned as the verdict

stw [%r10-4], 0
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
exit
out:
mov %r0, 2
exit
