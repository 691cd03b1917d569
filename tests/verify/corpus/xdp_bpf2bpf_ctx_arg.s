# profile: xdp
# expect: accept
# why: the ctx pointer passed to a subprogram keeps its type there

call local f
and %r0, 3
exit
f:
ldxw %r0, [%r1+16]
exit
