# profile: xdp
# expect: reject kfunc|helper|call
# why: kernel function calls are not part of the ABI

call kfunc 1
mov %r0, 2
exit
