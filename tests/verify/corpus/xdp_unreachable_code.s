# profile: xdp
# expect: reject unreachable
# why: instructions after the only exit are never reached

mov %r0, 2
exit
mov %r0, 1
exit
