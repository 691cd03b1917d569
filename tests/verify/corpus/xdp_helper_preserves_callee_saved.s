# profile: xdp
# expect: accept
# why: r6..r9 survive a helper call; only r1..r5 are clobbered

mov %r6, %r1
call 5
ldxw %r0, [%r6+12]
and %r0, 1
exit
