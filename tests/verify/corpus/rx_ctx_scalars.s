# profile: chamelio/rx
# expect: accept
# cost: 7
# why: flow_id, l4_proto and flags are readable scalars

ldxw %r2, [%r1+32]
ldxb %r3, [%r1+50]
ldxb %r0, [%r1+51]
add %r0, %r3
add %r0, %r2
and %r0, 1
exit
