# profile: xdp
# expect: reject context|ctx
# why: offset 24 is past the 24-byte xdp_md

ldxw %r0, [%r1+24]
and %r0, 1
exit
