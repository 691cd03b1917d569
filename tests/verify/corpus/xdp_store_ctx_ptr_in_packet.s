# profile: xdp
# expect: reject leak|pointer
# why: storing a kernel pointer into the packet leaks it to the wire

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
stxdw [%r2+0], %r1
mov %r0, 2
exit
out:
mov %r0, 2
exit
