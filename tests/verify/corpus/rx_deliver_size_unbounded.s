# profile: chamelio/rx
# expect: reject size|bounded|unbounded|range|argument|packet
# why: the size (ctx->rx_avail) is not bounded by the checked packet range

mov %r6, %r1
ldxdw %r2, [%r1+0]       # r2 = data
ldxdw %r3, [%r1+8]       # r3 = data_end
mov %r4, %r2
add %r4, 8
jgt %r4, %r3, out
mov %r1, %r6
ldxw %r3, [%r6+56]
call 1001
out:
mov %r0, 1
exit
