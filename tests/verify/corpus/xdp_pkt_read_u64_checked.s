# profile: xdp
# expect: accept
# cost: 8
# why: an 8-byte load of bytes 6..13 after a 14-byte check

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
ldxdw %r0, [%r2+6]
and %r0, 2
exit
out:
mov %r0, 2
exit
