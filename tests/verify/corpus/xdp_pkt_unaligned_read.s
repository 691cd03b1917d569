# profile: xdp
# expect: accept
# cost: 8
# why: a 4-byte packet load at offset 1: unaligned but inside the checked range

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
ldxw %r0, [%r2+1]
and %r0, 3
exit
out:
mov %r0, 2
exit
