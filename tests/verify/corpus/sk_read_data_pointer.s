# profile: socket_filter
# expect: reject context|ctx
# why: socket filters have no direct packet access (offset 76 is skb->data in the kernel)

ldxw %r2, [%r1+76]
mov %r0, 0
exit
