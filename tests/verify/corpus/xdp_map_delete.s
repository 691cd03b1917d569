# profile: xdp
# expect: accept
# map: hash key=4 value=16 entries=16
# why: map_delete_elem with an initialised key

stw [%r10-4], 7
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 3
mov %r0, 2
exit
