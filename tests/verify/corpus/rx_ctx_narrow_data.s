# profile: chamelio/rx
# expect: reject context|ctx
# why: 4 bytes of the 8-byte data pointer field

ldxw %r2, [%r1+0]
mov %r0, 0
exit
