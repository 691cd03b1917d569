# profile: socket_filter
# expect: reject context|ctx|read-only|read only|readonly|not writable|write
# why: skb->hash is read-only

stw [%r1+68], 1
mov %r0, 0
exit
