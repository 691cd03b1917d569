# profile: xdp
# expect: accept
# cost: 3
# kernel: stricter the kernel allows only 4-byte loads of xdp_md fields; a narrow load of a scalar field is safe
# why: a 1-byte load of the scalar field rx_queue_index is a valid narrow load

ldxb %r0, [%r1+16]
and %r0, 3
exit
