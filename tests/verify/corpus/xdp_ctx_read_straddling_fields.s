# profile: xdp
# expect: reject context|ctx
# why: a 4-byte load at offset 2 straddles data and data_end

ldxw %r0, [%r1+2]
and %r0, 1
exit
