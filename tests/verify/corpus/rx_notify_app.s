# profile: chamelio/rx
# expect: accept
# cost: 19
# why: notify_app costs 15 plus the call

mov %r2, 1
call 1004
mov %r0, 1
exit
