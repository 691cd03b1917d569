# profile: chamelio/tx
# expect: reject read-only|read only|readonly|not writable|write|pflow|provider|argument|arg|r2
# why: tx_fill would write into the read-only provider flow state

mov %r6, %r1
ldxdw %r2, [%r1+24]      # r2 = provider flow state or NULL
jeq %r2, 0, out
mov %r1, %r6
mov %r3, 8
mov %r4, 0
call 1002
out:
mov %r0, 2
exit
