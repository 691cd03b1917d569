# profile: socket_filter
# expect: reject return|r0|leak|pointer
# why: the skb pointer as the number of bytes to keep leaks it

mov %r0, %r1
exit
