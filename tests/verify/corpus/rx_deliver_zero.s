# profile: chamelio/rx
# expect: accept
# why: rx_deliver of 0 bytes is allowed (const_size_or_zero)

mov %r6, %r1
ldxdw %r2, [%r1+0]       # r2 = data
ldxdw %r3, [%r1+8]       # r3 = data_end
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, out
mov %r1, %r6
mov %r3, 0
call 1001
out:
mov %r0, 1
exit
