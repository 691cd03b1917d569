# profile: chamelio/tx
# expect: reject context|ctx|read-only|read only|readonly|not writable|write|argument|arg|r2
# why: tx_fill would overwrite the context

mov %r2, %r1
mov %r3, 8
mov %r4, 0
call 1002
mov %r0, 2
exit
