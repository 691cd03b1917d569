# profile: chamelio/rx
# expect: accept
# cost: 2
# why: Verdict.PUNT (3) is the largest rx verdict

mov %r0, 3
exit
