# profile: xdp
# expect: reject loop|terminate|infinite|back-edge|back edge
# why: ja -1 jumps to itself forever (on the path where ingress_ifindex != 0)

mov %r0, 2
ldxw %r2, [%r1+12]
jeq %r2, 0, done
loop:
ja loop
done:
exit
