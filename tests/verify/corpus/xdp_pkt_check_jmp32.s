# profile: xdp
# expect: reject packet|pointer
# why: a 32-bit comparison of packet pointers proves nothing about the 64-bit addresses

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 14
jgt32 %r4, %r3, out
ldxb %r0, [%r2+0]
and %r0, 1
exit
out:
mov %r0, 2
exit
