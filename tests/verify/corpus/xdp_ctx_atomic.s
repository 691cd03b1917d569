# profile: xdp
# expect: reject context|ctx|read-only|read only|atomic
# why: an atomic add into the (read-only) context

mov %r2, 1
lock add32 [%r1+12], %r2
mov %r0, 2
exit
