# profile: xdp
# expect: accept
# cost: 7
# why: a bpf-to-bpf call: the callee's instructions count once per call

mov %r1, 3
call local f
and %r0, 3
exit
f:
mov %r0, %r1
add %r0, 1
exit
