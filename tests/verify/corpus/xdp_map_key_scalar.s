# profile: xdp
# expect: reject key|argument|arg|pointer|scalar|r2
# map: array key=4 value=8 entries=4
# why: the key argument is a number, not a pointer

lddw %r1, map_fd(0)
mov %r2, 0
call 1
mov %r0, 2
exit
