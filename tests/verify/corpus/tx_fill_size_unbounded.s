# profile: chamelio/tx
# expect: reject size|bounded|unbounded|range|argument|packet
# why: the size is ctx->tx_avail, unbounded

mov %r6, %r1
ldxdw %r2, [%r1+0]       # r2 = data
ldxdw %r3, [%r1+8]       # r3 = data_end
mov %r4, %r2
add %r4, 64
jgt %r4, %r3, out
mov %r1, %r6
ldxw %r3, [%r6+52]
mov %r4, 0
call 1002
out:
mov %r0, 2
exit
