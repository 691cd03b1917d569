# profile: chamelio/tx
# expect: accept
# cost: 13
# why: rearm_tx is granted to chamelio/tx

call 1005
mov %r0, 2
exit
