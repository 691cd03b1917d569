# profile: xdp
# expect: reject return|r0|leak|pointer
# why: a stack address returned

mov %r0, %r10
exit
