"""Safety checks: every access inside a granted region, no uninitialised read, no pointer
leak, helpers called with their declared argument types, the return range."""

from __future__ import annotations

import pytest

from .asm_programs import ARRAY_8, HASH_4_16, TAIL, XDP_PROLOGUE, accepts, check, rejects

RET = "mov %r0, 2\nexit\n"


# ------------------------------------------------------------------------------- context
def test_xdp_context_fields() -> None:
    accepts("ldxw %r2, [%r1+12]\nldxw %r3, [%r1+16]\nldxb %r4, [%r1+20]\n" + RET)


@pytest.mark.parametrize(
    ("load", "message"),
    [
        ("ldxw %r2, [%r1+2]", "no field of xdp_md covers 4 byte(s) at offset 2"),
        ("ldxdw %r2, [%r1]", "no field of xdp_md covers 8 byte(s) at offset 0"),
        ("ldxh %r2, [%r1]", "no field of xdp_md covers 2 byte(s) at offset 0"),
        ("ldxw %r2, [%r1+24]", "no field"),
        ("ldxw %r2, [%r1-4]", "no field"),
    ],
)
def test_bad_context_loads(load: str, message: str) -> None:
    rejects(load + "\n" + RET, message)


def test_context_is_read_only() -> None:
    rejects("stw [%r1+12], 0\n" + RET, "read-only context")
    rejects("mov %r0, 0\nstxw [%r1], %r0\nexit", "read-only context")


def test_socket_filter_may_write_cb_but_not_len() -> None:
    accepts("stw [%r1+48], 7\nldxw %r0, [%r1+48]\nexit", "socket_filter")
    rejects("stw [%r1], 7\nmov %r0, 0\nexit", "read-only context", "socket_filter")


def test_context_loads_through_an_offset_pointer() -> None:
    accepts("add %r1, 4\nldxw %r2, [%r1+0]\n" + RET)
    rejects("add %r1, %r1\n" + RET, "add on a pointer")


# --------------------------------------------------------------------------------- packet
def test_packet_access_needs_a_bounds_check() -> None:
    rejects(XDP_PROLOGUE + "ldxb %r0, [%r2]\n" + RET, "beyond the 0 byte(s) proven")
    accepts(XDP_PROLOGUE + check(14) + "ldxh %r0, [%r2+12]\n" + RET + TAIL)
    rejects(XDP_PROLOGUE + check(14) + "ldxh %r0, [%r2+13]\n" + RET + TAIL,
            "beyond the 14 byte(s) proven")


@pytest.mark.parametrize(
    ("jump", "proven"),
    [("jgt %r4, %r3, out", 8), ("jge %r4, %r3, out", 9), ("jlt %r3, %r4, out", 8),
     ("jle %r3, %r4, out", 9)],
)
def test_every_form_of_the_bounds_check(jump: str, proven: int) -> None:
    """``data + 8 > end`` proves 8 bytes on the other side, ``data + 8 >= end`` proves 9."""
    text = XDP_PROLOGUE + "mov %r4, %r2\nadd %r4, 8\n" + jump + "\nldxb %r0, [%r2+{at}]\n" + RET + TAIL
    accepts(text.format(at=proven - 1))
    rejects(text.format(at=proven), f"beyond the {proven} byte(s) proven")


def test_inverted_bounds_check_proves_on_the_taken_side() -> None:
    accepts(XDP_PROLOGUE + """
        mov %r4, %r2
        add %r4, 4
        jle %r4, %r3, ok
        mov %r0, 1
        exit
    ok:
        ldxw %r0, [%r2]
        mov %r0, 2
        exit
    """)


def test_variable_packet_offset_with_its_own_check() -> None:
    accepts(XDP_PROLOGUE + check(15) + """
        ldxb %r5, [%r2+14]
        and %r5, 15
        lsh %r5, 2
        add %r2, %r5
        mov %r4, %r2
        add %r4, 4
        jgt %r4, %r3, out
        ldxw %r0, [%r2]
        ldxh %r0, [%r2+2]
    """ + RET + TAIL)
    rejects(XDP_PROLOGUE + check(15) + """
        ldxb %r5, [%r2+14]
        add %r2, %r5
        ldxb %r0, [%r2]
    """ + RET + TAIL, "beyond the 0 byte(s)")


def test_unbounded_offset_into_the_packet() -> None:
    rejects(XDP_PROLOGUE + "ldxw %r5, [%r6+12]\nlsh %r5, 40\nadd %r2, %r5\n" + RET,
            "unbounded number")


def test_packet_access_before_the_start() -> None:
    rejects(XDP_PROLOGUE + check(14) + "ldxb %r0, [%r2-1]\n" + RET + TAIL, "before the packet start")


def test_packet_write_and_pointer_store() -> None:
    accepts(XDP_PROLOGUE + check(14) + "sth [%r2+12], 8\n" + RET + TAIL)
    rejects(XDP_PROLOGUE + check(16) + "stxdw [%r2+8], %r2\n" + RET + TAIL,
            "stored into the packet")


def test_socket_filter_legacy_loads() -> None:
    accepts("mov %r6, %r1\nldabsh 12\njne %r0, 0x800, +2\nldabsb 23\nexit\nmov %r0, 0\nexit",
            "socket_filter")
    rejects("ldabsh 12\nexit", "r6", "socket_filter")
    rejects("mov %r6, %r1\nldabsh 12\nexit", "legacy packet load")


# ---------------------------------------------------------------------------------- stack
def test_stack_reads_need_writes() -> None:
    rejects("ldxdw %r0, [%r10-8]\nexit", "uninitialised stack at fp-8")
    accepts("stdw [%r10-8], 2\nldxdw %r0, [%r10-8]\nexit")
    rejects("stw [%r10-8], 0\nldxdw %r0, [%r10-8]\nexit", "uninitialised stack at fp-4")


@pytest.mark.parametrize("off", [-520, -513, 0, 8])
def test_stack_bounds(off: int) -> None:
    rejects(f"stdw [%r10{off:+d}], 0\n" + RET, "outside the 512-byte frame")


def test_variable_stack_offset() -> None:
    accepts("""
        stdw [%r10-16], 0
        stdw [%r10-8], 0
        call 7
        and %r0, 8
        mov %r1, %r10
        add %r1, -16
        add %r1, %r0
        ldxdw %r0, [%r1]
        and %r0, 3
        exit
    """)
    rejects("""
        stdw [%r10-8], 0
        call 7
        and %r0, 8
        mov %r1, %r10
        add %r1, -16
        add %r1, %r0
        ldxdw %r0, [%r1]
        exit
    """, "uninitialised stack")


def test_registers_must_be_written_before_read() -> None:
    rejects("mov %r0, %r2\nexit", "r2 is read before it is written")
    rejects("add %r0, 1\nexit", "r0 is read before it is written")
    rejects("exit", "r0 is not initialised")
    rejects("call 5\nmov %r0, %r1\nexit", "r1 is read before it is written")  # clobbered


def test_frame_pointer_is_read_only() -> None:
    rejects("mov %r10, 0\nmov %r0, 0\nexit", "r10")


# ------------------------------------------------------------------------------ map values
LOOKUP = """
    stw [%r10-4], 1
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(0)
    call 1
"""


def test_map_value_needs_a_null_check() -> None:
    rejects(LOOKUP + "ldxdw %r1, [%r0]\n" + RET, "before a null check", maps=[ARRAY_8])
    accepts(LOOKUP + "jeq %r0, 0, +1\nldxdw %r1, [%r0]\n" + RET, maps=[ARRAY_8])
    accepts(LOOKUP + "jne %r0, 0, +2\n" + RET + "ldxdw %r1, [%r0]\n" + RET, maps=[ARRAY_8])


def test_null_check_refines_every_copy() -> None:
    accepts(LOOKUP + "mov %r6, %r0\nstxdw [%r10-16], %r0\njeq %r6, 0, +3\n"
            "ldxdw %r1, [%r10-16]\nldxdw %r1, [%r1]\nldxdw %r1, [%r0]\n" + RET, maps=[ARRAY_8])


def test_map_value_bounds() -> None:
    rejects(LOOKUP + "jeq %r0, 0, +1\nldxdw %r1, [%r0+1]\n" + RET, "outside the value of",
            maps=[ARRAY_8])
    accepts(LOOKUP + "jeq %r0, 0, +1\nstdw [%r0+8], 1\n" + RET, maps=[HASH_4_16])
    rejects(LOOKUP + "jeq %r0, 0, +1\nstdw [%r0+16], 0\n" + RET, "outside", maps=[HASH_4_16])


def test_variable_index_into_a_map_value() -> None:
    body = LOOKUP + "jeq %r0, 0, +5\ncall 7\n{mask}\nadd %r0, %r6\nldxb %r0, [%r0]\n" + RET
    body = body.replace("call 1\n", "call 1\nmov %r6, %r0\n")
    # r6 is preserved across the helper call; r0 becomes the random index
    text = body.replace("add %r0, %r6", "mov %r1, %r6\nadd %r1, %r0\nmov %r0, %r1")
    accepts(text.replace("{mask}", "and %r0, 15").replace("jeq %r0, 0, +5", "jeq %r6, 0, +7"),
            maps=[HASH_4_16])
    rejects(text.replace("{mask}", "and %r0, 31").replace("jeq %r0, 0, +5", "jeq %r6, 0, +7"),
            "outside the value", maps=[HASH_4_16])


def test_no_pointer_into_a_map_value() -> None:
    rejects(LOOKUP + "jeq %r0, 0, +1\nstxdw [%r0], %r10\n" + RET, "stored into the value",
            maps=[ARRAY_8])


def test_read_only_map() -> None:
    ro = (*ARRAY_8, 0x80)
    accepts(LOOKUP + "jeq %r0, 0, +1\nldxdw %r1, [%r0]\n" + RET, maps=[ro])
    rejects(LOOKUP + "jeq %r0, 0, +1\nstdw [%r0], 1\n" + RET, "read-only to programs", maps=[ro])


def test_value_pointer_dies_with_a_delete() -> None:
    text = LOOKUP + """
        jeq %r0, 0, done
        mov %r6, %r0
        lddw %r1, map_fd(0)
        mov %r2, %r10
        add %r2, -4
        call 3
        ldxdw %r0, [%r6]
    done:
        mov %r0, 2
        exit
    """
    rejects(text, "used after map_delete_elem", maps=[HASH_4_16])
    accepts(text, maps=[(2, 4, 16, 4)])  # array entries are never freed


def test_global_data_reference() -> None:
    accepts("lddw %r1, map_value(0, 4)\nldxw %r0, [%r1]\nand %r0, 3\nexit", maps=[(2, 4, 8, 1)])
    rejects("lddw %r1, map_value(0, 8)\nldxw %r0, [%r1]\nexit", "outside", maps=[(2, 4, 8, 1)])
    rejects("lddw %r1, map_fd(1)\nmov %r0, 0\nexit", "the program has 1 map(s)", maps=[ARRAY_8])


# --------------------------------------------------------------------------------- helpers
def test_helper_not_in_the_profile() -> None:
    rejects("call 6\nmov %r0, 0\nexit", "not allowed in xdp")
    rejects("call 1001\nmov %r0, 0\nexit", "rx_deliver (1001) is not allowed in xdp")
    rejects("call 28\nmov %r0, 0\nexit", "not allowed in socket_filter", "socket_filter")


def test_map_key_argument() -> None:
    rejects(LOOKUP.replace("stw [%r10-4], 1", "sth [%r10-4], 1") + RET, "uninitialised stack",
            maps=[ARRAY_8])
    rejects("stw [%r10-4], 1\nmov %r2, %r10\nadd %r2, -2\nlddw %r1, map_fd(0)\ncall 1\n" + RET,
            "outside the 512-byte frame", maps=[ARRAY_8])
    rejects("mov %r1, 1\nmov %r2, %r10\ncall 1\n" + RET, "not a map", maps=[ARRAY_8])
    rejects("lddw %r1, map_fd(0)\nmov %r2, 0\ncall 1\n" + RET, "is a number, not a pointer",
            maps=[ARRAY_8])


def test_map_update_reads_the_whole_value() -> None:
    update = """
        stw [%r10-4], 1
        stdw [%r10-24], 0
        {second}
        lddw %r1, map_fd(0)
        mov %r2, %r10
        add %r2, -4
        mov %r3, %r10
        add %r3, -24
        mov %r4, 0
        call 2
        mov %r0, 2
        exit
    """
    accepts(update.format(second="stdw [%r10-16], 0"), maps=[HASH_4_16])
    rejects(update.format(second=""), "uninitialised stack", maps=[HASH_4_16])
    rejects(update.format(second="stxdw [%r10-16], %r1"), "spilled pointer", maps=[HASH_4_16])


def test_memory_and_size_arguments() -> None:
    csum = XDP_PROLOGUE + check(34) + """
        mov %r3, %r2
        add %r3, 14
        mov %r1, 0
        mov %r2, 0
        {size}
        mov %r5, 0
        call 28
        mov %r0, 2
        exit
    """ + TAIL
    accepts(csum.format(size="mov %r4, 20"))
    rejects(csum.format(size="mov %r4, 24"), "beyond the 34 byte(s)")
    rejects(csum.format(size="ldxw %r4, [%r6+12]\nand %r4, 0xff"), "beyond the 34 byte(s)")
    rejects(csum.format(size="ldxw %r4, [%r6+12]"), "not bounded")


def test_context_argument() -> None:
    accepts("mov %r2, 1\ncall 1004\nmov %r0, 1\nexit", "chamelio/rx")
    rejects("mov %r1, %r10\nmov %r2, 1\ncall 1004\nmov %r0, 1\nexit", "not the context",
            "chamelio/rx")
    rejects("add %r1, 8\nmov %r2, 1\ncall 1004\nmov %r0, 1\nexit", "not the context", "chamelio/rx")


def test_helpers_take_no_pointer_where_a_number_is_due() -> None:
    rejects("mov %r2, %r10\ncall 1004\nmov %r0, 1\nexit", "a pointer may not be passed",
            "chamelio/rx")


def test_size_may_not_be_zero_for_emit() -> None:
    text = """
        stdw [%r10-16], 0
        mov %r2, %r10
        add %r2, -16
        {size}
        call 1003
        mov %r0, 1
        exit
    """
    accepts(text.format(size="mov %r3, 8"), "chamelio/tx")
    rejects(text.format(size="mov %r3, 0"), "may be zero", "chamelio/tx")
    rejects(text.format(size="mov %r3, 9"), "uninitialised", "chamelio/tx")


# ---------------------------------------------------------------------------- flow state
FLOW = "ldxdw %r2, [%r1+16]\njeq %r2, 0, +{n}\n"


def test_flow_state() -> None:
    accepts(FLOW.format(n=2) + "ldxw %r3, [%r2+60]\nstxw [%r2], %r3\n" + "mov %r0, 1\nexit",
            "chamelio/rx")
    rejects(FLOW.format(n=1) + "ldxw %r3, [%r2+64]\nmov %r0, 1\nexit", "outside the flow state",
            "chamelio/rx")
    accepts(FLOW.format(n=1) + "ldxw %r3, [%r2+124]\nmov %r0, 1\nexit", "chamelio/rx",
            flow_state_size=128)
    rejects("ldxdw %r2, [%r1+16]\nldxw %r3, [%r2]\nmov %r0, 1\nexit", "before a null check",
            "chamelio/rx")
    rejects(FLOW.format(n=1) + "stxdw [%r2], %r2\nmov %r0, 1\nexit", "stored into the flow state",
            "chamelio/tx")


def test_provider_flow_state_is_read_only() -> None:
    pflow = "ldxdw %r2, [%r1+24]\njeq %r2, 0, +1\n{op}\nmov %r0, 1\nexit"
    accepts(pflow.format(op="ldxw %r3, [%r2+44]"), "chamelio/rx")
    rejects(pflow.format(op="ldxw %r3, [%r2+46]"), "outside the provider flow state", "chamelio/rx")
    rejects(pflow.format(op="stw [%r2], 0"), "read-only", "chamelio/rx")


def test_chamelio_context_pointer_fields_are_loaded_whole() -> None:
    rejects("ldxw %r2, [%r1+16]\nmov %r0, 1\nexit", "no field of chamelio_ctx", "chamelio/rx")


# ------------------------------------------------------------------------- pointer leaks
@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("mov %r0, %r10\nexit", "returns a pointer"),
        ("mov32 %r0, %r10\nexit", "32-bit move of a pointer"),
        ("mov %r0, %r10\nand %r0, 3\nexit", "and on a pointer"),
        ("mov %r0, %r10\nadd32 %r0, 1\nexit", "32-bit add on a pointer"),
        ("mov %r0, %r10\nlsh %r0, 1\nexit", "lsh on a pointer"),
        ("mov %r0, %r10\nneg %r0\nexit", "neg on r0, which holds a pointer"),
        ("mov %r0, %r10\nbe16 %r0\nexit", "byte swap on r0"),
        ("mov %r0, 1\nsub %r0, %r10\nexit", "sub on a pointer"),
        ("mov %r0, 0\njgt %r10, 0x1000, +1\nexit\nexit", "comparison of a pointer with a number"),
        ("ldxw %r2, [%r1]\nmov %r0, %r10\nsub %r0, %r2\nexit", "different regions"),
        ("ldxw %r2, [%r1+4]\nadd %r2, 1\nmov %r0, 0\nexit", "arithmetic on a pkt_end pointer"),
        ("mov %r0, 0\njset %r10, 1, +0\nexit", "bit test of a pointer"),
        ("mov %r0, 0\njeq32 %r10, 0, +0\nexit", "32-bit comparison of a pointer"),
    ],
)
def test_pointer_leaks(code: str, message: str) -> None:
    rejects(code, message)


def test_pointer_differences_within_a_region() -> None:
    accepts("mov %r2, %r10\nadd %r2, -8\nmov %r0, %r10\nsub %r0, %r2\nexit", "socket_filter")
    accepts(XDP_PROLOGUE + check(20) + """
        mov %r0, %r3
        sub %r0, %r2
        jlt %r0, 20, bad
        ldxb %r1, [%r2+19]
        mov %r0, 2
        exit
    bad:
        mov %r0, 0
        exit
    """ + TAIL)


def test_null_check_is_the_only_number_comparison() -> None:
    accepts("mov %r0, 2\njeq %r10, 0, +1\nexit\nmov %r0, 9\nexit")  # fp is never null
    rejects(LOOKUP + "jgt %r0, 0, +0\n" + RET, "comparison of a pointer with a number",
            maps=[ARRAY_8])


# ---------------------------------------------------------------------------- return range
def test_return_range() -> None:
    rejects("mov %r0, 5\nexit", "outside 0..4")
    accepts("call 7\nand %r0, 3\nexit")
    rejects("call 7\nand %r0, 7\nexit", "outside 0..4")
    rejects("mov %r0, 4\nexit", "outside 0..3", "chamelio/rx")
    accepts("call 7\nexit", "socket_filter")
    rejects("mov %r0, -1\nexit", "outside", "xdp")
    accepts("lddw %r0, 0x100000002\nexit", "xdp")  # the kernel hooks return an int
    rejects("lddw %r0, 0x100000002\nexit", "outside 0..3", "chamelio/tx")


# ----------------------------------------------------------------------- packet fuzzing
@pytest.mark.parametrize("profile", ["xdp", "chamelio/rx"])
def test_random_packet_programs_are_sound(profile: str) -> None:
    """Programs full of packet arithmetic, lengths, copies and comparisons (mostly unsafe):
    every one the verifier accepts runs on packets of 0..80 bytes without a trap."""
    import random

    from chamelio.ebpf.interp import Interpreter
    from chamelio.verify import verify

    from .packet_fuzz import packet_program

    rng = random.Random(profile)
    accepted = 0
    for _ in range(1000):
        insns = packet_program(rng, rng.randint(6, 24), chamelio=profile != "xdp")
        report = verify(insns, profile, budget=50_000)
        if not report.accepted:
            continue
        accepted += 1
        interp = Interpreter(insns, hook=profile)
        for length in range(0, 80, 3):
            result = interp.run_packet(rng.randbytes(length))
            assert report.cost is not None and result.insns <= report.cost
    print(f"{profile}: {accepted} of 1000 accepted, all ran safely")
    assert accepted >= 50


# ------------------------------------------------------------------- rarer instructions
def test_packet_metadata() -> None:
    meta = """
        ldxw %r2, [%r1+8]
        ldxw %r3, [%r1]
        mov %r4, %r2
        add %r4, 4
        jgt %r4, %r3, +1
        ldxw %r0, [%r2]
        mov %r0, 2
        exit
    """
    accepts(meta)
    rejects(meta.replace("ldxw %r0, [%r2]", "ldxw %r0, [%r2+1]"), "metadata access")
    rejects("ldxw %r2, [%r1+8]\nldxb %r0, [%r2]\nmov %r0, 2\nexit", "metadata access")


def test_atomics() -> None:
    accepts("stdw [%r10-8], 1\nmov %r1, 2\nlock add [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit",
            "socket_filter")
    r = accepts("stdw [%r10-8], 1\nmov %r1, 2\nlock fetch add [%r10-8], %r1\nmov %r0, %r1\nexit")
    assert r.cost == 5  # r1 fetched the old value 1: a valid verdict
    rejects("mov %r1, 2\nlock add [%r10-8], %r1\nmov %r0, 0\nexit", "uninitialised stack")
    rejects("stdw [%r10-8], 1\nlock add [%r10-8], %r10\nmov %r0, 0\nexit", "pointer operand")
    rejects(XDP_PROLOGUE + check(8) + "mov %r1, 1\nlock add [%r2], %r1\n" + RET + TAIL,
            "atomic operation on a pkt pointer")
    rejects("stdw [%r10-8], 1\nmov %r1, 5\nmov %r0, %r10\nlock cmpxchg [%r10-8], %r1\nexit",
            "cmpxchg on r0, which holds a pointer")
    accepts(LOOKUP + "jeq %r0, 0, +2\nmov %r1, 1\nlock xor32 [%r0+4], %r1\n" + RET, maps=[ARRAY_8])


def test_unsupported_calls_and_references() -> None:
    rejects("mov %r1, 0\ncall %r1\nmov %r0, 0\nexit", "indirect call")
    rejects("call kfunc 12\nmov %r0, 0\nexit", "kernel function call")
    rejects("lddw %r1, btf_id(3)\nmov %r0, 0\nexit", "pseudo source 3")
    rejects("lddw %r1, map_fd(0)\nmov %r2, %r10\nadd %r2, -8\nstdw [%r10-8], 0\ncall 1\n"
            "mov %r0, 0\nexit", "not supported", maps=[(12, 4, 8, 4)])  # a map of type 12


def test_jump32_on_numbers() -> None:
    accepts("call 7\njgt32 %r0, 3, +1\nexit\nmov %r0, 0\nexit")
    rejects("call 7\njgt32 %r0, 5, +1\nexit\nmov %r0, 0\nexit", "outside 0..4")
