# profile: xdp
# expect: accept
# cost: 5
# why: r10 - 24 through a copy of the frame pointer is a valid stack pointer

mov %r2, %r10
add %r2, -24
stdw [%r2+0], 1
ldxdw %r0, [%r10-24]
exit
