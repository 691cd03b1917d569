# profile: chamelio/tx
# expect: accept
# why: tx_sent - tx_head from the provider flow state

ldxdw %r2, [%r1+24]      # r2 = provider flow state or NULL
jeq %r2, 0, out
ldxw %r3, [%r2+40]
ldxw %r4, [%r2+36]
sub32 %r3, %r4
mov %r0, 2
exit
out:
mov %r0, 3
exit
