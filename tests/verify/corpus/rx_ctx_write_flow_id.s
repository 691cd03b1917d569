# profile: chamelio/rx
# expect: reject context|ctx|read-only|read only|readonly|not writable|write
# why: chamelio_ctx is read-only

stw [%r1+32], 0
mov %r0, 0
exit
