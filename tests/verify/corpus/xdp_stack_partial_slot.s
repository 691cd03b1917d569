# profile: xdp
# expect: accept
# cost: 4
# why: a 4-byte store initialises exactly the 4 bytes read back

stw [%r10-4], 3
ldxw %r0, [%r10-4]
and %r0, 3
exit
