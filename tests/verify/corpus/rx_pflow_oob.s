# profile: chamelio/rx
# expect: reject pflow|provider|bounds|range|outside
# why: offset 48 is past the 48-byte provider flow state

ldxdw %r2, [%r1+24]      # r2 = provider flow state or NULL
jeq %r2, 0, out
ldxw %r0, [%r2+48]
and %r0, 3
exit
out:
mov %r0, 3
exit
