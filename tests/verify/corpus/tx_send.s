# profile: chamelio/tx
# expect: accept
# cost: 2
# why: returns Verdict.TX (2)

mov %r0, 2
exit
