# profile: xdp
# expect: reject return|r0|leak|pointer
# why: the ctx pointer returned as the verdict leaks an address

mov %r0, %r1
exit
