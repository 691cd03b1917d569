# profile: xdp
# expect: reject call|jump|range|out of|bounds
# why: a bpf-to-bpf call to pc 100 in a 3-slot program

call local +97
mov %r0, 2
exit
