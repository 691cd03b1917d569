# profile: chamelio/tx
# expect: reject budget|cost
# why: three tx_fill calls of up to 1000 bytes each cost over 3000

mov %r6, %r1
ldxdw %r2, [%r1+0]       # r2 = data
ldxdw %r3, [%r1+8]       # r3 = data_end
mov %r4, %r2
add %r4, 1000
jgt %r4, %r3, out
mov %r7, %r2
mov %r8, 0
loop:
mov %r1, %r6
mov %r2, %r7
mov %r3, 1000
mov %r4, 0
call 1002
add %r8, 1
jlt %r8, 3, loop
out:
mov %r0, 2
exit
