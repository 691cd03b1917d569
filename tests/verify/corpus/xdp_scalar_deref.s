# profile: xdp
# expect: reject scalar|pointer|invalid|holds a number
# why: a constant address is not a pointer

mov %r2, 4096
ldxb %r0, [%r2+0]
and %r0, 1
exit
