# profile: xdp
# expect: reject packet
# why: csum_diff over 20 packet bytes with no bounds check

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r1, %r2
mov %r2, 20
mov %r3, 0
mov %r4, 0
mov %r5, 0
call 28
mov %r0, 2
exit
