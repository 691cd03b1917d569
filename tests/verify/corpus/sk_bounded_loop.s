# profile: socket_filter
# expect: accept
# cost: 27
# why: a loop of 8 iterations, 3 instructions each, plus 3

mov %r0, 0
mov %r2, 8
loop:
add %r0, 3
sub %r2, 1
jne %r2, 0, loop
exit
