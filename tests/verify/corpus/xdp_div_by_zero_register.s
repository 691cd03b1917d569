# profile: xdp
# expect: accept
# cost: 6
# why: division by a register that may be zero is defined in eBPF (the result is 0)

mov %r0, 7
ldxw %r2, [%r1+12]
div %r0, %r2
mod %r0, %r2
and %r0, 3
exit
