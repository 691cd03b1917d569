# profile: xdp
# expect: accept
# why: jset and a 32-bit comparison on scalars

ldxw %r2, [%r1+12]
mov %r0, 1
jset %r2, 1, odd
jgt32 %r2, 100, big
exit
odd:
mov %r0, 2
exit
big:
mov %r0, 3
exit
