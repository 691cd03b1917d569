# profile: xdp
# expect: reject return|r0|range
# why: r0 <= 5 after the branch still allows 5

ldxw %r0, [%r1+12]
jgt %r0, 5, out
exit
out:
mov %r0, 2
exit
