# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written
# why: r0 is written on only one path to exit

ldxw %r2, [%r1+12]
jeq %r2, 0, done
mov %r0, 2
done:
exit
