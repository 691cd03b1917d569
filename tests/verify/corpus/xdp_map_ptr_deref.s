# profile: xdp
# expect: reject map|pointer|invalid|access
# map: array key=4 value=8 entries=4
# why: a map reference is not memory the program may read

lddw %r1, map_fd(0)
ldxdw %r0, [%r1+0]
and %r0, 1
exit
