# profile: xdp
# expect: reject stack
# why: a read at r10-513

ldxb %r0, [%r10-513]
and %r0, 1
exit
