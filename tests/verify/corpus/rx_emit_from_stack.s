# profile: chamelio/rx
# expect: accept
# why: emit 16 initialised stack bytes as an extra packet

stdw [%r10-16], 0
stdw [%r10-8], 0
mov %r2, %r10
add %r2, -16
mov %r3, 16
call 1003
mov %r0, 1
exit
