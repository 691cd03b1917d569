# profile: xdp
# expect: reject uninit|not initialized|uninitialized|not init|read before it is written
# why: exit with r0 never written

exit
