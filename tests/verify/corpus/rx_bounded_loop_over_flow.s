# profile: chamelio/rx
# expect: accept
# flow: 16
# why: a loop over the 4 u32 words of the flow state

ldxdw %r2, [%r1+16]      # r2 = flow state or NULL
jeq %r2, 0, out
mov %r0, 0
mov %r5, 0
loop:
mov %r6, %r2
add %r6, %r5
ldxw %r7, [%r6+0]
add %r0, %r7
add %r5, 4
jlt %r5, 16, loop
and %r0, 3
exit
out:
mov %r0, 3
exit
