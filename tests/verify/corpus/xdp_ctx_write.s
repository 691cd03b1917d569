# profile: xdp
# expect: reject context|ctx|read-only|read only
# why: xdp_md is read-only

stw [%r1+12], 0
mov %r0, 2
exit
