# profile: chamelio/tx
# expect: accept
# cost: 5
# why: ctx->tx_avail decides between TX and DROP

ldxw %r2, [%r1+52]
mov %r0, 2
jne %r2, 0, done
mov %r0, 0
done:
exit
