# profile: xdp
# expect: accept
# cost: 4
# why: the null dereference sits on a branch a constant comparison never takes

mov %r2, 0
jeq %r2, 0, ok
ldxdw %r0, [%r2+0]
exit
ok:
mov %r0, 2
exit
