# profile: xdp
# expect: accept
# cost: 4
# why: r0 <= 4 is learnt from the branch, so the return value is in range

ldxw %r0, [%r1+12]
jgt %r0, 4, out
exit
out:
mov %r0, 2
exit
