# profile: xdp
# expect: accept
# cost: 8
# why: byte 13 is the last one a 14-byte check covers

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
ldxb %r0, [%r2+13]
and %r0, 1
exit
out:
mov %r0, 2
exit
