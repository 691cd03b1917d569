# profile: xdp
# expect: reject size|bounded|unbounded|range|argument
# why: the size comes from an unbounded ctx field

stdw [%r10-8], 0
ldxw %r2, [%r1+12]
mov %r1, %r10
add %r1, -8
mov %r3, 0
mov %r4, 0
mov %r5, 0
call 28
mov %r0, 2
exit
