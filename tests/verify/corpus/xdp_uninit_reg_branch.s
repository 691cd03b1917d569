# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written
# why: compares an uninitialised r7

mov %r0, 1
jeq %r7, 0, done
mov %r0, 2
done:
exit
