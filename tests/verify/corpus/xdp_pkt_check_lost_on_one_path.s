# profile: xdp
# expect: reject packet
# why: one path to the read is checked, the other is not

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
ldxw %r5, [%r1+12]
jeq %r5, 0, read
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
read:
ldxb %r0, [%r2+0]
and %r0, 1
exit
out:
mov %r0, 2
exit
