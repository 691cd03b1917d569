# profile: xdp
# expect: accept
# cost: 13
# why: ktime_get_ns costs 10 plus the call instruction

call 5
and %r0, 1
exit
