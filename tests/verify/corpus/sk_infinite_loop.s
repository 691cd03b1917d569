# profile: socket_filter
# expect: reject loop|terminate|infinite
# why: a backward jump over code that changes nothing

mov %r0, 0
loop:
mov %r2, 1
jne %r2, 0, loop
exit
