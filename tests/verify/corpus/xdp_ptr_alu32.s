# profile: xdp
# expect: reject pointer
# why: 32-bit arithmetic on a pointer truncates it

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
add32 %r2, 1
mov %r0, 2
exit
