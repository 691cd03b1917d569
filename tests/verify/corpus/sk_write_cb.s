# profile: socket_filter
# expect: accept
# cost: 3
# why: cb[0] is the one writable area of __sk_buff

stw [%r1+48], 7
ldxw %r0, [%r1+48]
exit
