# profile: chamelio/rx
# expect: reject read-only|read only|readonly|not writable|write|pflow|provider|atomic
# why: an atomic add is a write too

ldxdw %r2, [%r1+24]      # r2 = provider flow state or NULL
jeq %r2, 0, out
mov %r3, 1
lock add32 [%r2+28], %r3
out:
mov %r0, 3
exit
