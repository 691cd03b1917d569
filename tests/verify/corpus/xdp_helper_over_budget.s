# profile: xdp
# expect: reject budget|cost
# budget: 12
# why: ktime_get_ns alone costs 10; the program needs 13

call 5
and %r0, 1
exit
