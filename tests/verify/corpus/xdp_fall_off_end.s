# profile: xdp
# expect: reject fall|end|exit|last
# why: the last instruction is not exit: execution runs off the end

mov %r0, 2
