# profile: chamelio/tx
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written
# why: r0 never set on the tx_avail == 0 path

ldxw %r2, [%r1+52]
jeq %r2, 0, done
mov %r0, 2
done:
exit
