# profile: xdp
# expect: reject pointer
# why: shifting the ctx pointer

lsh %r1, 1
mov %r0, 2
exit
