# profile: chamelio/rx
# expect: reject ctx|context|argument|arg|r1
# why: the first argument must be the ctx pointer, here it is the stack

stdw [%r10-8], 0
mov %r1, %r10
mov %r2, %r10
add %r2, -8
mov %r3, 8
call 1001
mov %r0, 1
exit
