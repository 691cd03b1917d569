# profile: socket_filter
# expect: accept
# cost: 12
# why: ktime_get_ns is allowed in socket filters

call 5
exit
