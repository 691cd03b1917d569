"""The disassembler: canonical text that re-assembles to the identical bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from hypothesis import given, settings

from chamelio.ebpf import isa
from chamelio.ebpf.asm import assemble
from chamelio.ebpf.conformance import data_files, parse_file
from chamelio.ebpf.disasm import disassemble, disassemble_text
from chamelio.ebpf.isa import Insn
from tests.ebpf.isa_strategies import raw_programs, valid_program

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SUITE = data_files([SHARED / "bpf_conformance" / "tests"])
SAMPLES = SHARED / "ebpf-samples"


def _round_trip(prog: list[Insn], labels: bool) -> None:
    text = disassemble_text(prog, labels=labels)
    assert isa.encode(assemble(text)) == isa.encode(prog), text


def test_formats() -> None:
    prog = assemble(
        "mov32 %r0, -1\nldxw %r0, [%r1+4]\nstxdw [%r10-8], %r1\nlock fetch add32 [%r1], %r2\n"
        "lock cmpxchg [%r1-8], %r3\nlddw %r0, 0x1122334455667788\nlddw %r1, map_value(2, 8)\n"
        "ja32 +3\njne %r1, 0xb, -2\ncall 5\ncall local +1\ncall %r3\nbe16 %r0\nbswap64 %r1\n"
        "movsx1664 %r1, %r2\nsdiv32 %r1, 3\nldxsb %r1, [%r2]\nexit"
    )
    assert disassemble(prog) == [
        "mov32 %r0, -1", "ldxw %r0, [%r1+4]", "stxdw [%r10-8], %r1",
        "lock fetch add32 [%r1], %r2", "lock cmpxchg [%r1-8], %r3",
        "lddw %r0, 0x1122334455667788", "lddw %r1, map_value(2, 0x8)", "ja32 +3",
        "jne %r1, 11, -2", "call 5", "call local +1", "call %r3", "be16 %r0", "bswap64 %r1",
        "movsx1664 %r1, %r2", "sdiv32 %r1, 3", "ldxsb %r1, [%r2]", "exit",
    ]  # fmt: skip


def test_labels_mark_targets() -> None:
    prog = assemble("mov %r0, 0\nL: add %r0, 1\njlt %r0, 3, L\ncall local f\nexit\nf: exit")
    assert disassemble(prog, labels=True) == [
        "mov %r0, 0", "L1:", "add %r0, 1", "jlt %r0, 3, L1", "call local L5", "exit", "L5:",
        "exit",
    ]  # fmt: skip


def test_invalid_slots_become_raw_words() -> None:
    data = bytes.fromhex("0700010001000000" + "9500000000000000")  # add64 with an offset
    lines = disassemble(isa.decode(data))
    assert lines == [".raw 0x0000000100010007", "exit"]
    assert isa.encode(assemble("\n".join(lines))) == data


@pytest.mark.parametrize("path", SUITE, ids=lambda p: p.name)
def test_suite_round_trips(path: Path) -> None:
    prog = list(parse_file(path).insns)
    _round_trip(prog, labels=False)
    _round_trip(prog, labels=True)


@given(valid_program())
@settings(max_examples=300)
def test_random_valid_programs_round_trip(prog: list[Insn]) -> None:
    lines = disassemble(prog)
    assert not any(line.startswith(".raw") for line in lines)
    _round_trip(prog, labels=False)
    _round_trip(prog, labels=True)


@given(raw_programs)
@settings(max_examples=300)
def test_random_bytes_round_trip(data: bytes) -> None:
    try:
        prog = isa.decode(data)
    except isa.InvalidProgram:
        return
    assert isa.encode(assemble(disassemble_text(prog))) == data


def _code_sections() -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for path in sorted(SAMPLES.rglob("*.o")):
        if "invalid" in path.parts:
            continue
        with path.open("rb") as f:
            elf = ELFFile(f)
            for sec in elf.iter_sections():
                if sec["sh_type"] == "SHT_PROGBITS" and sec["sh_flags"] & 4 and sec["sh_size"]:
                    out.append((f"{path.relative_to(SAMPLES)}:{sec.name}", sec.data()))
    return out


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="ebpf-samples corpus not present")
def test_clang_output_decodes_validates_and_round_trips() -> None:
    """Every code section of the ebpf-samples corpus (real clang output, ~500k slots)
    decodes and passes the structural check; a fixed twentieth also round-trips as text."""
    sections = _code_sections()
    assert len(sections) > 400
    for index, (name, data) in enumerate(sections):
        prog = isa.decode(data)
        isa.validate(prog)
        assert isa.encode(prog) == data, name
        if index % 20 == 0:
            assert isa.encode(assemble(disassemble_text(prog, labels=True))) == data, name
