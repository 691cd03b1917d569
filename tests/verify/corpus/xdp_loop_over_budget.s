# profile: xdp
# expect: reject budget|cost
# budget: 500
# why: a 1000-iteration loop costs about 3000, over a budget of 500

mov %r0, 0
mov %r2, 0
loop:
add %r0, 1
add %r2, 1
jlt %r2, 1000, loop
mov %r0, 2
exit
