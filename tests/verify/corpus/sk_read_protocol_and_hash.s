# profile: socket_filter
# expect: accept
# cost: 4
# why: protocol and hash are readable scalars

ldxw %r0, [%r1+16]
ldxw %r2, [%r1+68]
add32 %r0, %r2
exit
