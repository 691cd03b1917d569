"""Exploration: loops unrolled or rejected, pruning, bpf-to-bpf calls and frames, the
complexity limit."""

from __future__ import annotations

from .asm_programs import accepts, rejects, run


def test_bounded_loop_is_unrolled() -> None:
    r = accepts("""
        mov %r0, 0
    top:
        add %r0, 1
        jlt %r0, 10, top
        exit
    """, "socket_filter")
    assert r.cost == 1 + 10 * 2 + 1


def test_loop_bounded_by_a_mask() -> None:
    r = accepts("""
        call 7
        and %r0, 7
        mov %r1, 0
    top:
        jge %r1, %r0, done
        add %r1, 1
        ja top
    done:
        mov %r0, 0
        exit
    """, "socket_filter")
    # worst case r0 == 7: 8 tests, 7 increments and jumps; get_prandom_u32 costs 8
    assert r.cost == 3 + 8 + 7 * 2 + 2 + 8


def test_infinite_loops_are_rejected() -> None:
    rejects("top:\nja top", "infinite loop")
    rejects("mov %r0, 0\ntop:\nadd %r0, 0\njeq %r0, 0, top\nexit", "infinite loop")


def test_loop_without_a_bound() -> None:
    r = run("""
        call 7
    top:
        sub %r0, 1
        jne %r0, 0, top
        exit
    """, "socket_filter", max_states=20_000)
    assert not r.accepted and r.error is not None
    assert "infinite loop" in r.error.message or "too complex" in r.error.message


def test_loop_that_counts_down_from_a_packet_byte() -> None:
    r = accepts("""
        ldxw %r2, [%r1]
        ldxw %r3, [%r1+4]
        mov %r4, %r2
        add %r4, 1
        jgt %r4, %r3, out
        ldxb %r0, [%r2]
    top:
        jeq %r0, 0, out
        sub %r0, 1
        ja top
    out:
        mov %r0, 2
        exit
    """)
    assert r.cost == 6 + 255 * 3 + 1 + 2


def test_diamonds_are_pruned() -> None:
    """30 diamonds one after the other: 2**30 paths, but after each diamond the arms join in
    the same state, so exploration stays linear."""
    diamond = """
        mov %r6, %r8
        and %r6, 1023
        jeq %r6, {i}, a{i}
        mov %r2, 1
        ja b{i}
    a{i}:
        mov %r2, 2
    b{i}:
        add %r7, %r2
        mov %r7, 0
    """
    text = "call 7\nmov %r8, %r0\nmov %r7, 0\n" + "".join(diamond.format(i=i) for i in range(30))
    r = accepts(text + "mov %r0, 0\nexit", "socket_filter")
    assert r.stats.pruned >= 29
    assert r.stats.insns_processed < 30 * 14
    assert r.cost == 3 + 8 + 30 * 7 + 2


def test_null_check_on_one_side_only() -> None:
    accepts("""
        ldxdw %r2, [%r1+16]
        jne %r2, 0, have
        mov %r0, 3
        exit
    have:
        ldxw %r0, [%r2]
        and %r0, 1
        exit
    """, "chamelio/rx")


def test_bpf_to_bpf_call() -> None:
    r = accepts("""
        mov %r6, 7
        mov %r1, 1
        call local f
        add %r0, %r6
        and %r0, 3
        exit
    f:
        mov %r0, %r1
        exit
    """)
    assert r.cost == 8
    assert r.stats.max_frames == 2


def test_call_preserves_r6_to_r9_and_clobbers_r1_to_r5() -> None:
    base = """
        mov %r1, 1
        mov %r6, 1
        call local f
        {use}
        mov %r0, 0
        exit
    f:
        mov %r0, 0
        exit
    """
    accepts(base.format(use="mov %r2, %r6"))
    rejects(base.format(use="mov %r2, %r1"), "r1 is read before it is written")


def test_callee_has_its_own_registers_and_stack() -> None:
    rejects("""
        mov %r6, 1
        stdw [%r10-8], 1
        call local f
        mov %r0, 0
        exit
    f:
        mov %r0, %r6
        exit
    """, "r6 is read before it is written")
    rejects("""
        stdw [%r10-8], 1
        call local f
        mov %r0, 0
        exit
    f:
        ldxdw %r0, [%r10-8]
        exit
    """, "uninitialised stack at fp-8")


def test_callee_writes_through_a_pointer_to_its_callers_stack() -> None:
    r = accepts("""
        mov %r1, %r10
        add %r1, -8
        call local f
        ldxdw %r0, [%r10-8]
        exit
    f:
        stdw [%r1], 3
        mov %r0, 0
        exit
    """)
    assert r.cost == 8


def test_callee_stack_may_not_outlive_the_callee() -> None:
    rejects("""
        call local f
        mov %r0, 0
        exit
    f:
        mov %r0, %r10
        exit
    """, "pointer to its own stack")
    rejects("""
        mov %r1, %r10
        add %r1, -8
        call local f
        mov %r0, 0
        exit
    f:
        stxdw [%r1], %r10
        mov %r0, 0
        exit
    """, "callee's stack stored in its caller's frame")


def test_call_depth_limit() -> None:
    chain = "".join(f"f{i}:\ncall local f{i + 1}\nexit\n" for i in range(8))
    text = "call local f0\nexit\n" + chain + "f8:\nmov %r0, 0\nexit\n"
    rejects(text, "call depth limit")
    chain = "".join(f"f{i}:\ncall local f{i + 1}\nexit\n" for i in range(6))
    accepts("call local f0\nexit\n" + chain + "f6:\nmov %r0, 0\nexit\n")


def test_recursion_hits_the_depth_limit() -> None:
    rejects("mov %r1, 0\ncall local f\nexit\nf:\ncall local f\nexit", "call depth limit")


def test_each_call_site_is_verified_in_its_context() -> None:
    rejects("""
        mov %r1, %r10
        add %r1, -8
        stdw [%r10-8], 1
        call local f
        mov %r1, %r10
        add %r1, -16
        call local f
        mov %r0, 0
        exit
    f:
        ldxdw %r0, [%r1]
        exit
    """, "uninitialised stack at fp-16")


def test_complexity_limit() -> None:
    """Every diamond doubles the paths and leaves a different live value behind."""
    diamond = "mov %r6, %r8\nand %r6, 1023\njeq %r6, {i}, +1\nadd %r7, {bit}\n"
    text = "call 7\nmov %r8, %r0\nmov %r7, 0\n" + "".join(
        diamond.format(i=i, bit=1 << i) for i in range(20)) + "mov %r0, %r7\nexit"
    rejects(text, "too complex", "socket_filter", max_states=5000)


def test_may_goto_explores_both_ways() -> None:
    r = accepts("mov %r0, 1\nmay_goto +2\nmov %r0, 2\nexit\nmov %r0, 3\nexit", "socket_filter")
    assert r.cost == 4


def test_rejection_reports_the_path_and_state() -> None:
    r = rejects("""
        call 7
        jgt %r0, 10, big
        mov %r0, 1
        exit
    big:
        stdw [%r10-8], 5
        ldxdw %r1, [%r10-16]
        mov %r0, 0
        exit
    """, "uninitialised stack at fp-16")
    assert r.error is not None
    assert r.error.pc == 5
    assert r.error.path == [0, 4, 5]
    assert "fp-8=5" in r.error.regs
    assert r.error.insn_text == "ldxdw %r1, [%r10-16]"


# ------------------------------------------------------------------- linked scalars
MAP_INDEX = """
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(0)
    call 1
    jeq %r0, 0, out
    mov %r6, %r0
    call 7
    {copy}
    jgt %r2, 15, out
    add %r6, %r0
    ldxb %r0, [%r6]
out:
    mov %r0, 2
    exit
"""


def test_a_comparison_narrows_the_copies_of_a_register() -> None:
    value16 = [(1, 4, 16, 4)]
    accepts(MAP_INDEX.format(copy="mov %r2, %r0"), maps=value16)
    accepts(MAP_INDEX.format(copy="mov32 %r2, %r0"), maps=value16)  # r0 < 2**32: the same value
    accepts(MAP_INDEX.format(copy="mov %r2, %r0\nlsh %r2, 32\nrsh %r2, 32"), maps=value16)
    rejects(MAP_INDEX.format(copy="mov %r2, %r0\nadd %r2, 0"), "unbounded", maps=value16)
    rejects(MAP_INDEX.format(copy="mov %r2, %r0\nlsh %r2, 32\narsh %r2, 32"), "unbounded",
            maps=value16)


def test_a_copy_is_no_longer_linked_once_overwritten() -> None:
    value16 = [(1, 4, 16, 4)]
    accepts(MAP_INDEX.format(copy="mov %r2, %r0\nmov %r0, %r2"), maps=value16)
    rejects(MAP_INDEX.format(copy="mov %r2, %r0\nmov %r0, %r2\nmul %r0, 3"), "unbounded",
            maps=value16)


def test_packet_length_from_data_end_minus_data() -> None:
    """``len = data_end - data; if (len < 14) ...`` proves 14 bytes (PREVAIL's
    correlated_branch pattern)."""
    text = """
        ldxw %r2, [%r1]
        ldxw %r3, [%r1+4]
        mov %r4, %r3
        sub %r4, %r2
        jslt %r4, {n}, out
        ldxh %r0, [%r2+12]
        mov %r0, 2
        exit
    out:
        mov %r0, 1
        exit
    """
    accepts(text.format(n=14))
    rejects(text.format(n=13), "beyond the 13 byte(s) proven")


def test_helper_reads_up_to_the_packet_end() -> None:
    """``rx_deliver(ctx, p, data_end - p)``: the size is exactly what is left of the packet."""
    text = """
        mov %r6, %r1
        ldxdw %r2, [%r1]
        ldxdw %r3, [%r1+8]
        ldxh %r4, [%r1+48]
        jgt %r4, 200, out
        add %r2, %r4
        jgt %r2, %r3, out
        mov %r8, %r3
        sub %r8, %r2
        {bound}
        mov %r3, %r8
        mov %r1, %r6
        call 1001
    out:
        mov %r0, 1
        exit
    """
    r = accepts(text.format(bound="jgt %r8, 1500, out"), "chamelio/rx", budget=5000)
    assert r.cost is not None and r.cost >= 1500
    # unbounded but for the packet's size: rx_deliver's cost of up to 9000 bytes breaks the budget
    rejects(text.format(bound=""), "exceeds the budget", "chamelio/rx", budget=5000)
    rejects(text.format(bound="jgt %r8, 1500, out\nadd %r2, 1"), "beyond", "chamelio/rx",
            budget=5000)
