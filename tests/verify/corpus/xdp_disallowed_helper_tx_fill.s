# profile: xdp
# expect: reject helper|1002|tx_fill
# why: tx_fill is a chamelio/tx helper

call 1002
mov %r0, 2
exit
