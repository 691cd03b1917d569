# profile: xdp
# expect: reject stack|leak|pointer|return|r0|invalid|frame
# why: the callee returns a pointer into its own frame, dead once it returns

mov %r1, 0
call local f
ldxdw %r0, [%r0+0]
and %r0, 3
exit
f:
stdw [%r10-8], 1
mov %r0, %r10
add %r0, -8
exit
