# profile: chamelio/tx
# expect: accept
# why: tx_fill writes send-buffer bytes into 64 checked packet bytes

mov %r6, %r1
ldxdw %r2, [%r1+0]       # r2 = data
ldxdw %r3, [%r1+8]       # r3 = data_end
mov %r4, %r2
add %r4, 64
jgt %r4, %r3, out
mov %r1, %r6
mov %r3, 64
mov %r4, 0
call 1002
mov %r0, 2
exit
out:
mov %r0, 0
exit
