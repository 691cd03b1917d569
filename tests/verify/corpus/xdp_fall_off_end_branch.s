# profile: xdp
# expect: reject fall|end|exit|last
# why: the branch not taken falls off the end

mov %r0, 2
ldxw %r2, [%r1+12]
jeq %r2, 0, done
exit
done:
mov %r0, 1
