# profile: xdp
# expect: reject packet|unbounded
# why: a signed upper bound (<= 10) leaves negative offsets possible

ldxw %r2, [%r1+0]        # r2 = data
ldxw %r3, [%r1+4]        # r3 = data_end
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
ldxw %r5, [%r1+12]
movsx3264 %r5, %r5
jsgt %r5, 10, out
add %r2, %r5
ldxb %r0, [%r2+0]
and %r0, 1
exit
out:
mov %r0, 2
exit
