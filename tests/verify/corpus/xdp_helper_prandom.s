# profile: xdp
# expect: accept
# cost: 11
# why: get_prandom_u32 costs 8 plus the call instruction

call 7
and %r0, 3
exit
