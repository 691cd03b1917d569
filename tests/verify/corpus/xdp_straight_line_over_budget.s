# profile: xdp
# expect: reject budget|cost
# budget: 5
# why: 6 instructions against a budget of 5

mov %r0, 0
add %r0, 1
add %r0, 1
add %r0, 0
mov %r0, 2
exit
