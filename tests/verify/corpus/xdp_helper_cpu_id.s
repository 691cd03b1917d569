# profile: xdp
# expect: accept
# cost: 5
# why: get_smp_processor_id costs 2 plus the call instruction

call 8
mov %r0, 2
exit
