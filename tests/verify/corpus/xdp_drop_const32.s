# profile: xdp
# expect: accept
# cost: 2
# why: a 32-bit move of a verdict

mov32 %r0, 1
exit
