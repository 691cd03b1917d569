# profile: chamelio/rx
# expect: reject helper
# why: tx_fill belongs to chamelio/tx

mov %r6, %r1
ldxdw %r2, [%r1+0]       # r2 = data
ldxdw %r3, [%r1+8]       # r3 = data_end
mov %r4, %r2
add %r4, 8
jgt %r4, %r3, out
mov %r1, %r6
mov %r3, 8
mov %r4, 0
call 1002
out:
mov %r0, 1
exit
