# profile: xdp
# expect: accept
# cost: 4
# why: sign-extending moves (cpu v4)

ldxw %r2, [%r1+12]
movsx864 %r0, %r2
and %r0, 3
exit
