# profile: xdp
# expect: accept
# cost: 4
# why: a 64-bit constant load (lddw counts as one instruction)

lddw %r0, 0x100000000
rsh %r0, 32
add %r0, 1
exit
