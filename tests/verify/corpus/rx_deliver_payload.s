# profile: chamelio/rx
# expect: accept
# why: rx_deliver of 8 checked packet bytes (constant size)

mov %r6, %r1
ldxdw %r2, [%r1+0]       # r2 = data
ldxdw %r3, [%r1+8]       # r3 = data_end
mov %r4, %r2
add %r4, 22
jgt %r4, %r3, out
mov %r1, %r6
add %r2, 14
mov %r3, 8
call 1001
mov %r0, 1
exit
out:
mov %r0, 0
exit
