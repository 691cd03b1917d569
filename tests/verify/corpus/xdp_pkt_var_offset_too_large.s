# profile: xdp
# expect: reject packet
# why: offset 0..15 (masked) added after a 14-byte check: up to byte 15 may be read

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
ldxb %r5, [%r2+0]
and %r5, 15
add %r2, %r5
ldxb %r0, [%r2+0]
and %r0, 1
exit
out:
mov %r0, 2
exit
