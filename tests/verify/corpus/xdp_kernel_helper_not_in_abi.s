# profile: xdp
# expect: reject helper
# why: bpf_trace_printk (6) exists in the kernel but not in the Chamelio ABI

stdw [%r10-8], 0
mov %r1, %r10
add %r1, -8
mov %r2, 8
call 6
mov %r0, 2
exit
