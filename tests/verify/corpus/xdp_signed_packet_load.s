# profile: xdp
# expect: accept
# cost: 9
# why: a sign-extending packet load (cpu v4) after a check

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 2
jgt %r4, %r3, out
ldxsh %r0, [%r2+0]
arsh %r0, 63
and %r0, 3
exit
out:
mov %r0, 2
exit
