# profile: chamelio/rx
# expect: reject size|zero|argument|arg|r3
# why: emit needs a size > 0 (const_size)

stdw [%r10-8], 0
mov %r2, %r10
add %r2, -8
mov %r3, 0
call 1003
mov %r0, 1
exit
