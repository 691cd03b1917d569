# profile: xdp
# expect: accept
# cost: 12
# why: the same subprogram called twice: its cost counts twice

mov %r1, 1
call local f
mov %r1, %r0
call local f
and %r0, 3
exit
f:
mov %r0, %r1
add %r0, 1
exit
