# profile: chamelio/rx
# expect: accept
# why: csum_diff is granted to chamelio/rx

ldxdw %r2, [%r1+0]       # r2 = data
ldxdw %r3, [%r1+8]       # r3 = data_end
mov %r4, %r2
add %r4, 34
jgt %r4, %r3, out
mov %r1, %r2
add %r1, 14
mov %r2, 20
mov %r3, %r1
mov %r4, 0
mov %r5, 0
call 28
and %r0, 3
exit
out:
mov %r0, 0
exit
