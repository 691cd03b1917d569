# profile: chamelio/rx
# expect: reject packet|end
# why: data_end is not a readable pointer

ldxdw %r2, [%r1+0]       # r2 = data
ldxdw %r3, [%r1+8]       # r3 = data_end
ldxb %r0, [%r3+0]
and %r0, 3
exit
