# profile: socket_filter
# expect: accept
# cost: 2
# why: kernel hooks read the low 32 bits of r0: 1 << 32 keeps 0 bytes

lddw %r0, 0x100000000
exit
