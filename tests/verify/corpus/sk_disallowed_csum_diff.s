# profile: socket_filter
# expect: reject helper
# why: csum_diff is not granted to socket filters

stdw [%r10-8], 0
mov %r1, %r10
add %r1, -8
mov %r2, 4
mov %r3, %r10
add %r3, -4
mov %r4, 4
mov %r5, 0
call 28
mov %r0, 0
exit
