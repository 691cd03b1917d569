# profile: xdp
# expect: accept
# why: csum_diff over two initialised 4-byte stack buffers

stdw [%r10-8], 0
mov %r1, %r10
add %r1, -8
mov %r2, 4
mov %r3, %r10
add %r3, -4
mov %r4, 4
mov %r5, 0
call 28
and %r0, 3
exit
