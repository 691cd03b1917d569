# profile: xdp
# expect: accept
# cost: 6
# why: signed division and modulo (cpu v4) by a maybe-zero register

ldxw %r0, [%r1+16]
ldxw %r2, [%r1+12]
sdiv %r0, %r2
smod %r0, %r2
and %r0, 3
exit
