# profile: socket_filter
# expect: reject context|ctx|read-only|read only|readonly|not writable|write
# why: skb->len is read-only

stw [%r1+0], 1
mov %r0, 0
exit
