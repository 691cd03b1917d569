# profile: xdp
# expect: reject packet
# why: the loop reads bytes 0..15 but only 8 were checked

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 8
jgt %r4, %r3, out
mov %r0, 0
mov %r5, 0
loop:
mov %r6, %r2
add %r6, %r5
ldxb %r7, [%r6+0]
add %r0, %r7
add %r5, 1
jlt %r5, 16, loop
and %r0, 3
exit
out:
mov %r0, 2
exit
