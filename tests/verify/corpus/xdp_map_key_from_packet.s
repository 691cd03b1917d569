# profile: xdp
# expect: accept
# map: hash key=4 value=16 entries=16
# why: a key copied from checked packet bytes onto the stack

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r6, %r1
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
ldxw %r5, [%r2+10]
stxw [%r10-4], %r5
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
ldxdw %r0, [%r0+0]
and %r0, 3
exit
out:
mov %r0, 2
exit
