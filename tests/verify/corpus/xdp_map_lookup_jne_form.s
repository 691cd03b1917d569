# profile: xdp
# expect: accept
# map: array key=4 value=8 entries=4
# why: the null check written as jne r0, 0 (access on the taken side)

stw [%r10-4], 0
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
jne %r0, 0, found
mov %r0, 1
exit
found:
ldxb %r1, [%r0+7]
mov %r0, 2
exit
