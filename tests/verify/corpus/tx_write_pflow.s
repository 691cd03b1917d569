# profile: chamelio/tx
# expect: reject read-only|read only|readonly|not writable|write|pflow|provider
# why: a handler advancing tx_sent itself would corrupt the provider's accounting

ldxdw %r2, [%r1+24]      # r2 = provider flow state or NULL
jeq %r2, 0, out
stw [%r2+40], 0
out:
mov %r0, 2
exit
