# profile: xdp
# expect: reject recurs|loop|call|terminate
# why: the subprogram calls itself

mov %r1, 0
call local f
mov %r0, 2
exit
f:
call local f
mov %r0, 0
exit
