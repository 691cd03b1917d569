# profile: xdp
# expect: accept
# cost: 17
# why: a bounded loop whose exit test is a 32-bit comparison

mov %r0, 0
mov32 %r2, 0
loop:
add32 %r2, 2
jlt32 %r2, 12, loop
mov %r0, 2
mov %r1, 0
exit
