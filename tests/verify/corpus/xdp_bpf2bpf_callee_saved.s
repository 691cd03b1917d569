# profile: xdp
# expect: accept
# why: r6 survives the call (callee-saved), even though the callee uses its own r6

mov %r6, 2
mov %r1, 0
call local f
mov %r0, %r6
exit
f:
mov %r6, 9
mov %r0, 0
exit
