# profile: chamelio/tx
# expect: reject helper
# why: rx_deliver belongs to chamelio/rx

stdw [%r10-8], 0
mov %r2, %r10
add %r2, -8
mov %r3, 8
call 1001
mov %r0, 2
exit
