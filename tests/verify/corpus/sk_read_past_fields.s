# profile: socket_filter
# expect: reject context|ctx
# why: offset 72 is not a field the profile grants

ldxw %r0, [%r1+72]
exit
