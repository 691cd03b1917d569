# profile: chamelio/rx
# expect: accept
# cost: 13
# why: rearm_tx costs 10 plus the call

call 1005
mov %r0, 1
exit
