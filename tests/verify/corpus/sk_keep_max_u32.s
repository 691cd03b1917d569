# profile: socket_filter
# expect: accept
# cost: 2
# why: 0xffffffff (a 32-bit move) is the largest valid return

mov32 %r0, -1
exit
