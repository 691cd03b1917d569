# profile: xdp
# expect: reject loop|terminate|infinite|back-edge|back edge
# why: the loop counter is never changed

mov %r0, 2
mov %r2, 0
loop:
add %r2, 0
jlt %r2, 10, loop
exit
