# profile: xdp
# expect: reject r10|frame pointer|read-only|read only
# why: r10 (the frame pointer) is read-only

mov %r10, 0
mov %r0, 2
exit
