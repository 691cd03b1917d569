# profile: xdp
# expect: reject null|holds a number|scalar|pointer|invalid
# why: r1 overwritten with 0 and then dereferenced

mov %r1, 0
ldxw %r0, [%r1+12]
and %r0, 1
exit
