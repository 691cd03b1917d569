# profile: xdp
# expect: accept
# cost: 5
# why: modulo by zero leaves the dividend: defined, not a fault

mov %r0, 3
mov %r2, 0
mod %r0, %r2
and %r0, 3
exit
