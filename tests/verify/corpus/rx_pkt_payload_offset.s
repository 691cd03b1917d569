# profile: chamelio/rx
# expect: accept
# why: ctx->payload_off (a u16) as a variable packet offset, checked before the read

ldxdw %r2, [%r1+0]       # r2 = data
ldxdw %r3, [%r1+8]       # r3 = data_end
ldxh %r5, [%r1+48]
add %r2, %r5
mov %r4, %r2
add %r4, 4
jgt %r4, %r3, out
ldxw %r0, [%r2+0]
and %r0, 3
exit
out:
mov %r0, 3
exit
