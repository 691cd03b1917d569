# profile: xdp
# expect: reject helper|1001|rx_deliver
# why: rx_deliver is a chamelio/rx helper, not available to xdp

mov %r0, 2
call 1001
mov %r0, 2
exit
