# profile: xdp
# expect: accept
# why: a callee reads the caller's initialised stack through a pointer argument

stdw [%r10-8], 3
mov %r1, %r10
add %r1, -8
call local f
and %r0, 3
exit
f:
ldxdw %r0, [%r1+0]
exit
