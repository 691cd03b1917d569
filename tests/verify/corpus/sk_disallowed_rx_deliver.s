# profile: socket_filter
# expect: reject helper
# why: a Chamelio flow helper in a socket filter

mov %r2, %r10
mov %r3, 0
call 1001
mov %r0, 0
exit
