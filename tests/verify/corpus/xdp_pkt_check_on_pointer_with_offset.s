# profile: xdp
# expect: accept
# cost: 8
# why: the check compares pkt + 34 (an offset pointer) and then reads byte 33 through data

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 34
jgt %r4, %r3, out
ldxb %r0, [%r2+33]
and %r0, 3
exit
out:
mov %r0, 2
exit
