"""The control-flow graph: structural rejections, subprograms, prune points, back edges and
register liveness."""

from __future__ import annotations

import pytest

from chamelio.ebpf import isa
from chamelio.ebpf.isa import Insn
from chamelio.verify.cfg import CfgError, build_cfg

from .asm_programs import asm, rejects


def test_straight_line_program() -> None:
    cfg = build_cfg(asm("mov %r0, 0\nexit"))
    assert cfg.subprograms == (0,)
    assert cfg.back_edges == frozenset()
    assert not cfg.has_loops
    assert cfg.reachable == 2


def test_prune_points_are_jump_targets_and_fall_throughs() -> None:
    cfg = build_cfg(asm("""
        mov %r0, 0
        jeq %r1, 0, skip
        mov %r0, 1
    skip:
        ja end
    end:
        exit
    """))
    assert [pc for pc, p in enumerate(cfg.prune) if p] == [0, 2, 3, 4]


def test_back_edges_of_a_loop() -> None:
    cfg = build_cfg(asm("""
        mov %r0, 0
    top:
        add %r0, 1
        jlt %r0, 10, top
        exit
    """))
    assert cfg.back_edges == frozenset({(2, 1)})
    assert cfg.has_loops


def test_subprograms_are_call_targets() -> None:
    cfg = build_cfg(asm("""
        mov %r1, 1
        call local f
        exit
    f:
        mov %r0, %r1
        exit
    """))
    assert cfg.subprograms == (0, 3)
    assert cfg.func_start(4) == 3
    assert cfg.func_start(2) == 0


def test_lddw_second_slot_belongs_to_no_function() -> None:
    cfg = build_cfg(asm("lddw %r0, 0x100000000\nexit"))
    assert cfg.func_of == (0, -1, 0)
    assert cfg.reachable == 2


def test_liveness() -> None:
    insns = asm("""
        mov %r2, 1
        mov %r3, 2
        jeq %r1, 0, +1
        mov %r0, %r2
        mov %r0, %r3
        exit
    """)
    cfg = build_cfg(insns)
    live = [[r for r in range(11) if m >> r & 1] for m in cfg.live]
    assert live[0] == [1]
    assert live[2] == [1, 2, 3]
    assert live[3] == [2, 3]
    assert live[4] == [3]
    assert live[5] == [0]


def test_liveness_of_calls_and_helpers() -> None:
    cfg = build_cfg(asm("""
        mov %r6, 1
        call 5
        mov %r0, %r6
        exit
    """))
    # ktime_get_ns takes no argument: nothing but r6 (preserved across the call) is live
    assert cfg.live[1] == 1 << 6
    cfg = build_cfg(asm("""
        call local f
        exit
    f:
        mov %r0, 0
        exit
    """))
    assert cfg.live[0] == 0b111110  # a local call may read r1..r5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ja +5\nexit", "outside the program"),
        ("ja -2\nexit", "outside the program"),
        ("jeq %r1, 0, +1\nlddw %r0, 1\nexit", "middle of the lddw"),
        ("mov %r0, 0", "falls through past the end of the program"),
        ("mov %r0, 0\nexit\nmov %r0, 1\nexit", "unreachable"),
        ("call local f\nexit\nf:\nmov %r0, 0\njeq %r0, 0, back\nexit\nback: ja -6", "leaves its function"),
        ("call local f\nmov %r0, 0\nf:\nmov %r0, 0\nexit", "falls through past the end of its function"),
        ("call local +5\nexit", "outside the program"),
    ],
)
def test_structural_rejections(text: str, message: str) -> None:
    with pytest.raises(CfgError) as info:
        build_cfg(asm(text))
    assert message in info.value.message
    # the verifier reports the same as a rejection, never an exception
    rejects(text, message)


def test_malformed_instruction_is_rejected_with_its_pc() -> None:
    insns = [Insn(isa.BPF_ALU64 | isa.BPF_MOV, 0, imm=0), Insn(0xFF), Insn(isa.OP_EXIT)]
    with pytest.raises(CfgError) as info:
        build_cfg(insns)
    assert info.value.pc == 1


def test_empty_program_is_rejected() -> None:
    with pytest.raises(CfgError, match="empty"):
        build_cfg([])


def test_uncalled_function_is_unreachable() -> None:
    with pytest.raises(CfgError, match="unreachable"):
        build_cfg(asm("mov %r0, 0\nexit\nmov %r0, 1\nexit"))


def test_call_from_unreachable_code_does_not_make_its_target_reachable() -> None:
    with pytest.raises(CfgError) as info:
        build_cfg(asm("mov %r0, 0\nexit\ncall local f\nexit\nf:\nmov %r0, 0\nexit"))
    assert info.value.pc == 2
