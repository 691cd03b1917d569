"""The whole bpf_conformance suite through the native JIT, plus run-time operand cases."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from chamelio.ebpf import alu, isa
from chamelio.ebpf.conformance import run_suite
from chamelio.ebpf.isa import Insn
from chamelio.jit import JitProgram, run_conformance_jit

SUITE = Path(__file__).resolve().parents[2] / ".." / "shared" / "bpf_conformance" / "tests"
U64 = (1 << 64) - 1
EDGE = [
    0,
    1,
    2,
    7,
    31,
    32,
    33,
    63,
    64,
    65,
    0xFF,
    0x7FFF_FFFF,
    0x8000_0000,
    0xFFFF_FFFF,
    0x1_0000_0000,
    0x7FFF_FFFF_FFFF_FFFF,
    0x8000_0000_0000_0000,
    U64,
    U64 - 1,
    0x0123_4567_89AB_CDEF,
]


@pytest.mark.skipif(not SUITE.is_dir(), reason=f"conformance suite not found at {SUITE}")
def test_whole_suite_passes() -> None:
    report = run_suite([SUITE], run_conformance_jit)
    print(report.format())
    assert report.failed == 0, report.format()
    assert report.passed >= 300, report.summary()
    for skip in report.skips:
        assert skip.reason, skip


def _ops() -> list[tuple[int, int, int]]:
    """(class, op, off) of every binary ALU form."""
    out = []
    for cls in (isa.BPF_ALU, isa.BPF_ALU64):
        for op in isa.ALU_OPS:
            if op != isa.BPF_NEG:
                out.append((cls, op, 0))
        out += [(cls, isa.BPF_DIV, 1), (cls, isa.BPF_MOD, 1)]
        out += [(cls, isa.BPF_MOV, bits) for bits in sorted(isa.MOVSX_OFFSETS[cls])]
    return out


@pytest.mark.parametrize(("cls", "op", "off"), _ops())
def test_alu_with_operands_read_at_run_time(cls: int, op: int, off: int) -> None:
    """Divisors and shift amounts come from memory: zero, >= width, INT_MIN / -1 all agree
    with the reference semantics and the process lives (no SIGFPE)."""
    insn = Insn(cls | op | isa.BPF_X, dst=0, src=2, off=off)
    prog = JitProgram(
        [
            Insn(isa.BPF_LDX | isa.BPF_MEM | isa.BPF_DW, dst=0, src=1, off=0),
            Insn(isa.BPF_LDX | isa.BPF_MEM | isa.BPF_DW, dst=2, src=1, off=8),
            insn,
            Insn(isa.OP_EXIT),
        ]
    )
    for a in EDGE:
        for b in EDGE:
            r0, _ = prog.run(struct.pack("<QQ", a, b))
            assert r0 == alu.alu(insn, a, b), (hex(a), hex(b))


def test_division_by_zero_register_from_memory_returns_zero() -> None:
    prog = JitProgram(
        [
            Insn(isa.BPF_LDX | isa.BPF_MEM | isa.BPF_DW, dst=2, src=1, off=0),
            Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_K, dst=0, imm=1234),
            Insn(isa.BPF_ALU64 | isa.BPF_DIV | isa.BPF_X, dst=0, src=2),
            Insn(isa.OP_EXIT),
        ]
    )
    assert prog.run(bytes(8))[0] == 0
    assert prog.run(struct.pack("<Q", 2))[0] == 617


def test_memory_after_run_and_unaligned_store() -> None:
    prog = JitProgram(
        [
            Insn(isa.BPF_ST | isa.BPF_MEM | isa.BPF_DW, dst=1, off=1, imm=-1),
            Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_X, dst=0, src=2),
            Insn(isa.OP_EXIT),
        ]
    )
    r0, after = prog.run(bytes(10))
    assert r0 == 10
    assert after == b"\x00" + b"\xff" * 8 + b"\x00"
