# profile: socket_filter
# expect: reject budget|cost
# budget: 20
# why: a loop of 8 iterations (cost 27) against a budget of 20

mov %r0, 0
mov %r2, 8
loop:
add %r0, 3
sub %r2, 1
jne %r2, 0, loop
exit
