# profile: chamelio/rx
# expect: reject context|ctx|read-only|read only|readonly|not writable|write
# why: replacing ctx->flow would let the handler aim it anywhere

stxdw [%r1+16], %r10
mov %r0, 0
exit
