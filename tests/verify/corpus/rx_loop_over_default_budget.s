# profile: chamelio/rx
# expect: reject budget|cost
# why: 1000 iterations of 3 instructions exceed the rx default budget of 2000

mov %r0, 0
mov %r2, 0
loop:
add %r0, 1
add %r2, 1
jlt %r2, 1000, loop
mov %r0, 1
exit
