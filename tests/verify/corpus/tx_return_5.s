# profile: chamelio/tx
# expect: reject return|r0|range
# why: 5 is not a Verdict

mov %r0, 5
exit
