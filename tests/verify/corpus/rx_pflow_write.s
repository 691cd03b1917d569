# profile: chamelio/rx
# expect: reject read-only|read only|readonly|not writable|write|pflow|provider
# why: the provider's flow state is read-only to handlers

ldxdw %r2, [%r1+24]      # r2 = provider flow state or NULL
jeq %r2, 0, out
stw [%r2+24], 0
out:
mov %r0, 3
exit
