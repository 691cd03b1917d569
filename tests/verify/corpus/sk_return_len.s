# profile: socket_filter
# expect: accept
# cost: 2
# why: a socket filter keeps skb->len bytes: any u32 is a valid return

ldxw %r0, [%r1+0]
exit
