# profile: chamelio/rx
# expect: reject budget|cost
# why: 40 emits of 8 bytes cost 40 x (6 + 1 + 40 + 8), over the default 2000

stdw [%r10-8], 0
mov %r6, %r1
mov %r7, 0
loop:
mov %r1, %r6
mov %r2, %r10
add %r2, -8
mov %r3, 8
call 1003
add %r7, 1
jlt %r7, 40, loop
mov %r0, 1
exit
