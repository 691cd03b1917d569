# profile: xdp
# expect: reject ldabs|ld_abs|legacy|not allowed|packet|invalid|abs
# why: legacy packet loads belong to socket filters

mov %r6, %r1
ldabsb 12
mov %r0, 2
exit
