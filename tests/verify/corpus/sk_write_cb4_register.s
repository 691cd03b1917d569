# profile: socket_filter
# expect: accept
# cost: 4
# why: a register store into cb[4]

ldxw %r2, [%r1+16]
stxw [%r1+64], %r2
mov %r0, 0
exit
