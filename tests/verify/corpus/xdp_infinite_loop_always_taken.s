# profile: xdp
# expect: reject loop|terminate|infinite|back-edge|back edge|budget|cost|complex|too large
# budget: 1000
# why: the loop condition is true on every iteration (unsigned >= 0)

mov %r0, 2
mov %r2, 0
loop:
add %r2, 1
jge %r2, 0, loop
exit
