# profile: xdp
# expect: reject packet|end
# why: data_end is only ever compared, never dereferenced

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
ldxb %r0, [%r3-1]
and %r0, 1
exit
