# profile: xdp
# expect: accept
# why: an atomic add on an initialised stack slot

stdw [%r10-8], 1
mov %r2, 1
lock add [%r10-8], %r2
ldxdw %r0, [%r10-8]
exit
