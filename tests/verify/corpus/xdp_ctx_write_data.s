# profile: xdp
# expect: reject context|ctx|read-only|read only
# why: overwriting ctx->data would redirect every later packet access

stw [%r1+0], 0
mov %r0, 2
exit
