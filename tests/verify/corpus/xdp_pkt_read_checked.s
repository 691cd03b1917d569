# profile: xdp
# expect: accept
# cost: 8
# why: a byte read inside a 14-byte bounds check (pkt + 14 > end exits)

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
ldxb %r0, [%r2+12]
and %r0, 3
exit
out:
mov %r0, 2
exit
