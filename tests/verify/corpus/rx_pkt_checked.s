# profile: chamelio/rx
# expect: accept
# cost: 8
# why: 64-bit data/data_end fields and a checked read

ldxdw %r2, [%r1+0]       # r2 = data
ldxdw %r3, [%r1+8]       # r3 = data_end
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
ldxb %r0, [%r2+13]
and %r0, 3
exit
out:
mov %r0, 0
exit
