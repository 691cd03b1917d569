# profile: xdp
# expect: accept
# cost: 11
# why: eight 1-byte stores initialise the whole 8-byte slot

stb [%r10-8], 0
stb [%r10-7], 0
stb [%r10-6], 0
stb [%r10-5], 0
stb [%r10-4], 0
stb [%r10-3], 0
stb [%r10-2], 0
stb [%r10-1], 0
ldxdw %r0, [%r10-8]
and %r0, 3
exit
