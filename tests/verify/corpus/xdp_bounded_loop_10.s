# profile: xdp
# expect: accept
# cost: 34
# why: a loop of exactly 10 iterations: 3 instructions each, plus 4

mov %r0, 0
mov %r1, 0
loop:
add %r0, 1
add %r1, 1
jlt %r1, 10, loop
and %r0, 3
exit
