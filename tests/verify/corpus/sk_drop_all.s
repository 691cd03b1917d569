# profile: socket_filter
# expect: accept
# cost: 2
# why: returning 0 drops the packet

mov %r0, 0
exit
