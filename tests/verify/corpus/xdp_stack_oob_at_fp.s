# profile: xdp
# expect: reject stack
# why: r10+0 is one past the frame's last byte

stb [%r10+0], 0
mov %r0, 2
exit
