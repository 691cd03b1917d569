# profile: xdp
# expect: accept
# why: an unknown ctx value bounded by a branch (< 64) is a valid packet offset once checked

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
ldxw %r5, [%r1+12]
jgt %r5, 63, out
mov %r4, %r2
add %r4, %r5
mov %r6, %r4
add %r6, 2
jgt %r6, %r3, out
ldxh %r0, [%r4+0]
and %r0, 3
exit
out:
mov %r0, 2
exit
