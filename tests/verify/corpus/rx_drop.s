# profile: chamelio/rx
# expect: accept
# cost: 2
# why: returns Verdict.DROP (0)

mov %r0, 0
exit
