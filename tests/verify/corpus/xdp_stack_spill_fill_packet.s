# profile: xdp
# expect: accept
# cost: 10
# why: a checked packet pointer survives a spill and fill with its range

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 8
jgt %r4, %r3, out
stxdw [%r10-8], %r2
ldxdw %r5, [%r10-8]
ldxb %r0, [%r5+7]
and %r0, 1
exit
out:
mov %r0, 2
exit
