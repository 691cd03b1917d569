# profile: chamelio/rx
# expect: reject packet
# why: rx_deliver from the packet with no bounds check at all

mov %r6, %r1
ldxdw %r2, [%r1+0]       # r2 = data
ldxdw %r3, [%r1+8]       # r3 = data_end
mov %r1, %r6
mov %r3, 4
call 1001
mov %r0, 1
exit
