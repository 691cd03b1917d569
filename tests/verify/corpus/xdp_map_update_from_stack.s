# profile: xdp
# expect: accept
# map: hash key=4 value=16 entries=16
# why: map_update_elem with an initialised key and value on the stack

stw [%r10-4], 7
stdw [%r10-24], 1
stdw [%r10-16], 2
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -24
mov %r4, 0
call 2
mov %r0, 2
exit
