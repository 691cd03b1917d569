"""The assembler: the bpf_conformance syntax, labels, errors that name the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chamelio.ebpf import isa
from chamelio.ebpf.asm import MNEMONICS, AsmError, assemble, assemble_bytes, assemble_lines
from chamelio.ebpf.conformance import data_files, parse_file
from chamelio.ebpf.isa import Insn
from chamelio.errors import ChamelioError

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "bpf_conformance"
SUITE = data_files([SHARED / "tests"])
NEGATIVE = data_files([SHARED / "negative"])
# Negative files that are well-formed but wrong at run time (checked in the runner tests).
RUNTIME_NEGATIVE = {"error.data", "incorrect_return_value_high_bits.data"}


@pytest.mark.parametrize(
    ("text", "hexbytes"),
    [
        ("mov32 %r0, 1", "b400000001000000"),
        ("mov %r1, -1", "b7010000ffffffff"),
        ("ldxw %r0, [%r1+4]", "6110040000000000"),
        ("ldxdw %r0, [%r10-8]", "79a0f8ff00000000"),
        ("ldxh %r2, [%r3]", "6932000000000000"),
        ("stb [%r10-1], 0x2a", "720affff2a000000"),
        ("stxdw [%r10-8], %r1", "7b1af8ff00000000"),
        ("lddw %r0, 0x1122334455667788", "1800000088776655" + "0000000044332211"),
        ("lddw %r0, 2147483648", "1800000000000080" + "0000000000000000"),
        ("lock add [%r10-8], %r1", "db1af8ff00000000"),
        ("lock xadd [%r10-8], %r1", "db1af8ff00000000"),
        ("lock fetch add32 [%r10-8], %r1", "c31af8ff01000000"),
        ("lock xchg [%r10-8], %r1", "db1af8ffe1000000"),
        ("lock cmpxchg32 [%r10-4], %r1", "c31afcfff1000000"),
        ("lock fetch xor [%r1], %r2", "db210000a1000000"),
        ("call 1", "8500000001000000"),
        ("call %r2", "8d02000000000000"),
        ("call kfunc 7", "8520000007000000"),
        ("ja +1", "0500010000000000"),
        ("ja -2", "0500feff00000000"),
        ("ja32 +70000", "0600000070110100"),
        ("jeq %r1, 0xb, +3", "150103000b000000"),
        ("jsle32 %r1, %r2, -1", "de21ffff00000000"),
        ("be16 %r0", "dc00000010000000"),
        ("le64 %r3", "d403000040000000"),
        ("bswap32 %r0", "d700000020000000"),
        ("swap64 %r0", "d700000040000000"),
        ("sdiv %r1, %r2", "3f21010000000000"),
        ("smod32 %r1, 3", "9401010003000000"),
        ("movsx832 %r1, %r2", "bc21080000000000"),
        ("movsx3264 %r1, %r2", "bf21200000000000"),
        ("ldxsh %r1, [%r2+2]", "8921020000000000"),
        ("neg32 %r4", "8404000000000000"),
        ("neg64 %r4", "8704000000000000"),
        ("arsh32 %r1, 0x80000000", "c401000000000080"),
        ("may_goto +5", "e500050000000000"),
        ("ldabsh 12", "280000000c000000"),
        ("ldindw %r3, 4", "4030000004000000"),
        ("exit", "9500000000000000"),
        ("EXIT  # upper case mnemonic, comment", "9500000000000000"),
        ("mov r0, r1 // kernel-style registers", "bf10000000000000"),
    ],
)
def test_encodings(text: str, hexbytes: str) -> None:
    assert assemble_bytes(text).hex() == hexbytes


def test_lddw_pseudo_sources() -> None:
    prog = assemble(
        "lddw %r1, map_fd(3)\n"
        "lddw %r2, map_value(3, 16)\n"
        "lddw %r3, map_idx(0)\n"
        "lddw %r4, map_idx_value(1, 0x20)\n"
        "lddw %r5, btf_id(9)\n"
        "lddw %r6, func(f)\n"
        "exit\n"
        "f: exit\n"
    )
    srcs = [(i.dst, i.src, i.imm64) for i in prog if i.is_lddw]
    assert srcs == [
        (1, 1, 3), (2, 2, 3 | 16 << 32), (3, 5, 0), (4, 6, 1 | 0x20 << 32), (5, 3, 9), (6, 4, 2),
    ]  # fmt: skip
    isa.validate(prog)


def test_labels_forward_backward_and_the_implicit_exit_label() -> None:
    prog = assemble(
        "start:\n"
        "  mov %r0, 0   # label on its own line\n"
        "  jeq %r0, 0, done\n"
        "  lddw %r1, 1\n"
        "done: add %r0, 1\n"
        "  jlt %r0, 3, start\n"
        "  call local sub\n"
        "  ja exit\n"
        "exit\n"
        "sub: mov %r0, 7\n"
        "  exit\n"
    )
    assert prog[1].off == 2  # over the two lddw slots
    assert prog[5].off == -6
    assert prog[6].imm == 2 and prog[6].src == isa.BPF_PSEUDO_CALL
    assert prog[7].off == 0  # the first exit, right after
    assert len(prog) == 11


def test_ja32_and_call_local_take_label_offsets_in_imm() -> None:
    prog = assemble("ja32 L\nexit\nL: call local L\nexit")
    assert prog[0] == Insn(isa.OP_JA32, imm=1)
    assert prog[2] == Insn(isa.OP_CALL, src=1, imm=-1)


def test_immediate_ranges() -> None:
    assert assemble("mov32 %r0, 0xffffffff")[0].imm == -1
    assert assemble("mov32 %r0, -2147483648")[0].imm == -(2**31)
    assert assemble("mov %r0, -0x10")[0].imm == -16
    assert assemble("lddw %r0, -1")[0].imm64 == 2**64 - 1
    for bad in ("mov32 %r0, 2147483648", "mov32 %r0, 0x100000000", "lddw %r0, 0x10000000000000000"):
        with pytest.raises(AsmError, match=r"range|fit"):
            assemble(bad)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("mov %r0, 1\nldxq %r0, %r1\nexit", 2, "invalid mnemonic 'ldxq'"),
        ("\n\nor %r0, %r50", 3, "invalid register '%r50'"),
        ("or %r0, %r11", 1, "invalid register"),
        ("ldxb %r0, %r1", 1, "invalid memory operand"),
        ("ldxb %r0, [%r1+0x10000]", 1, "offset"),
        ("lddw %r0", 1, "invalid number of operands for lddw"),
        ("exit %r0", 1, "invalid number of operands for exit"),
        ("lock or [%r10-8]", 1, "invalid number of operands for lock"),
        ("lock", 1, "invalid number of operands for lock"),
        ("lock fetch xchg [%r1], %r2", 1, "fetch"),
        ("lock nand [%r1], %r2", 1, "invalid atomic operation"),
        ("mov %r0, 1\nja NOT_A_LABEL\nexit", 2, "undefined label 'NOT_A_LABEL'"),
        ("a: exit\na: exit", 2, "duplicate label"),
        ("ja 3", 1, "jump target"),
        ("ja +40000", 1, "jump offset"),
        ("call helper_x 1", 1, "call mode"),
        ("mov %r0, 1 2", 1, "invalid number"),
        ("movsx832 %r1, 5", 1, "register source"),
        ("lddw %r1, map_fdx(1)", 1, "unknown lddw source"),
        (".raw 0x1ffffffffffffffff", 1, "64 bits"),
    ],
)
def test_errors_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(AsmError) as info:
        assemble(text, source="prog.s")
    assert info.value.line == line
    assert message in str(info.value)
    assert str(info.value).startswith(f"prog.s:{line}: ")
    assert isinstance(info.value, ChamelioError)


def test_first_line_shifts_reported_lines() -> None:
    with pytest.raises(AsmError) as info:
        assemble("exit\nbogus", first_line=10)
    assert info.value.line == 11 and str(info.value).startswith("line 11:")
    _, lines = assemble_lines("# c\nlddw %r0, 1\n\nexit", first_line=5)
    assert lines == [6, 6, 8]


def test_raw_directive_places_slots_verbatim() -> None:
    prog = assemble(".raw 0x5566778800000018\n.raw 0x1122334400000000\n.raw 0x95")
    assert prog[0].imm64 == 0x1122334455667788
    assert isa.encode(prog) == bytes.fromhex("180000008877665500000000443322119500000000000000")


def test_mnemonics_cover_every_mnemonic_of_the_suite() -> None:
    used: set[str] = set()
    for path in SUITE:
        section = None
        for line in path.read_text().splitlines():
            if line.startswith("--"):
                section = line[2:].strip()
                continue
            code = line.split("#")[0].strip()
            if section == "asm" and code and not code.endswith(":"):
                used.add(code.split()[0])
    assert used and used <= set(MNEMONICS)


@pytest.mark.parametrize("path", SUITE, ids=lambda p: p.name)
def test_every_suite_file_assembles(path: Path) -> None:
    test = parse_file(path)  # assembles, decodes -- raw, checks they agree, validates
    assert test.skip_reason is None and test.insns
    assert test.result is not None


@pytest.mark.parametrize(
    "path", [p for p in NEGATIVE if p.name not in RUNTIME_NEGATIVE], ids=lambda p: p.name
)
def test_every_negative_file_is_rejected_naming_the_line(path: Path) -> None:
    try:
        test = parse_file(path)
    except AsmError as exc:
        assert exc.line >= 1
        assert f"{path}:{exc.line}: " in str(exc)
        return
    assert test.skip_reason is not None and "line" in test.skip_reason  # unknown directive


@given(
    st.text(alphabet=st.sampled_from(list("%r0123456789abcdxlmovjeqsk[]+-,:#.()\n ")), max_size=80)
)
@settings(max_examples=400)
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        assemble(text)
    except AsmError as exc:
        assert exc.line >= 1
