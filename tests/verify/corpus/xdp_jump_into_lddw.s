# profile: xdp
# expect: reject lddw|jump|second|middle|invalid
# why: a jump into the second slot of a lddw

mov %r0, 2
ja +1
lddw %r1, 0x100000000
exit
