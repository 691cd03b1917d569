"""Hypothesis strategies for eBPF instructions (shared by the ISA, asm and disasm tests)."""

from __future__ import annotations

import dataclasses

from hypothesis import assume
from hypothesis import strategies as st

from chamelio.ebpf import isa
from chamelio.ebpf.isa import Insn

regs = st.integers(0, isa.NUM_REGS - 1)
offs = st.one_of(st.integers(-(2**15), 2**15 - 1), st.sampled_from([0, 1, -1, 0x7FFF, -0x8000]))
imms = st.one_of(
    st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, 1, -1, 0x7FFFFFFF, -(2**31)])
)


def _is_valid_opcode(opcode: int) -> bool:
    """Some choice of the other fields makes ``opcode`` valid."""
    for imm in (0, 16, *sorted(isa.ATOMIC_IMMS)):
        for src in (0, 1):
            if isa.check_insn(Insn(opcode, 0, src, 0, imm)) is None:
                return True
    return False


VALID_OPCODES = [op for op in range(256) if op != isa.OP_LDDW and _is_valid_opcode(op)]


@st.composite
def valid_insn(draw: st.DrawFn) -> Insn:
    """One valid single-slot instruction: random fields, then the constrained ones fixed."""
    insn = Insn(
        draw(st.sampled_from(VALID_OPCODES)), draw(regs), draw(regs), draw(offs), draw(imms)
    )
    for _ in range(6):
        reason = isa.check_insn(insn)
        if reason is None:
            return insn
        if reason.startswith("unused field"):
            insn = dataclasses.replace(insn, **{reason.split()[2]: 0})
        elif reason.startswith("byte swap width"):
            insn = dataclasses.replace(insn, imm=draw(st.sampled_from(sorted(isa.END_WIDTHS))))
        elif reason.startswith("offset of div/mod"):
            insn = dataclasses.replace(insn, off=draw(st.sampled_from([0, 1])))
        elif reason.startswith("invalid movsx"):
            widths = [0, *sorted(isa.MOVSX_OFFSETS[insn.cls])]
            insn = dataclasses.replace(insn, off=draw(st.sampled_from(widths)))
        elif reason.startswith("invalid atomic"):
            insn = dataclasses.replace(insn, imm=draw(st.sampled_from(sorted(isa.ATOMIC_IMMS))))
        elif reason.startswith("invalid call source"):
            insn = dataclasses.replace(insn, src=draw(st.sampled_from([0, 1, 2])))
        else:
            break
    assume(isa.check_insn(insn) is None)
    return insn


@st.composite
def valid_lddw(draw: st.DrawFn) -> list[Insn]:
    value = draw(st.one_of(st.integers(0, 2**64 - 1), st.integers(0, 2**32 - 1)))
    src = draw(st.sampled_from([0, 0, 0, *range(1, isa.BPF_PSEUDO_MAP_IDX_VALUE + 1)]))
    return isa.lddw(draw(regs), value, src)


@st.composite
def valid_program(draw: st.DrawFn, max_size: int = 24) -> list[Insn]:
    """A list of valid instructions (lddw pairs included); jump targets are arbitrary."""
    parts = draw(
        st.lists(
            st.one_of(valid_insn().map(lambda i: [i]), valid_lddw()), min_size=1, max_size=max_size
        )
    )
    return [insn for part in parts for insn in part]


raw_programs = st.lists(st.binary(min_size=8, max_size=8), min_size=1, max_size=16).map(b"".join)
