# profile: chamelio/rx
# expect: accept
# flow: 16
# why: the null check as jne, the access on the taken side

ldxdw %r2, [%r1+16]      # r2 = flow state or NULL
jne %r2, 0, have
mov %r0, 3
exit
have:
stb [%r2+15], 1
mov %r0, 1
exit
