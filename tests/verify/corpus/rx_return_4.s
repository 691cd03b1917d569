# profile: chamelio/rx
# expect: reject return|r0|range
# why: 4 is not a Verdict (0..3)

mov %r0, 4
exit
