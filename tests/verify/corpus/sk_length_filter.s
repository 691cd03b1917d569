# profile: socket_filter
# expect: accept
# cost: 4
# why: keep short packets whole, cut long ones to 64 bytes

ldxw %r0, [%r1+0]
jle %r0, 64, done
mov %r0, 64
done:
exit
