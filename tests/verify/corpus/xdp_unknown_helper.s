# profile: xdp
# expect: reject helper
# why: no helper has id 9999

call 9999
mov %r0, 2
exit
