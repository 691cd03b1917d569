# profile: xdp
# expect: reject packet|unbounded
# why: the check came first; the unbounded offset added afterwards escapes it

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
ldxw %r5, [%r1+12]
add %r2, %r5
ldxb %r0, [%r2+0]
and %r0, 1
exit
out:
mov %r0, 2
exit
