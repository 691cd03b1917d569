# profile: xdp
# expect: accept
# cost: 19
# why: a countdown from 5 to 0: 3 instructions per iteration, plus 4

mov %r0, 0
mov %r2, 5
loop:
add %r0, 1
sub %r2, 1
jne %r2, 0, loop
mov %r0, 1
exit
