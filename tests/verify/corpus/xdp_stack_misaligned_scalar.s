# profile: xdp
# expect: accept
# cost: 3
# kernel: stricter the kernel requires aligned stack accesses; a misaligned number on the stack is still inside the frame
# why: a 4-byte number stored and loaded at r10-6 (misaligned, in bounds)

stw [%r10-6], 1
ldxw %r0, [%r10-6]
exit
