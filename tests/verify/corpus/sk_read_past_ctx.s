# profile: socket_filter
# expect: reject context|ctx
# why: offset 192 is past __sk_buff

ldxw %r0, [%r1+192]
exit
