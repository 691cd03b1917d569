# profile: socket_filter
# expect: accept
# cost: 2
# why: a 2-byte load of the scalar field protocol

ldxh %r0, [%r1+16]
exit
