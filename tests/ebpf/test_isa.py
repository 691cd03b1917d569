"""The encoding: decode/encode inverses, structural checks, cpu versions and groups."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from chamelio.ebpf import isa
from chamelio.ebpf.isa import Insn, InvalidProgram
from chamelio.errors import ChamelioError
from tests.ebpf.isa_strategies import VALID_OPCODES, raw_programs, valid_insn, valid_program


def test_opcode_constants_match_the_kernel() -> None:
    assert isa.OP_LDDW == 0x18
    assert isa.OP_CALL == 0x85 and isa.OP_CALLX == 0x8D and isa.OP_EXIT == 0x95
    assert isa.OP_JA == 0x05 and isa.OP_JA32 == 0x06 and isa.OP_MAY_GOTO == 0xE5
    assert isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_K == 0xB7
    assert isa.BPF_STX | isa.BPF_ATOMIC | isa.BPF_DW == 0xDB
    assert isa.BPF_LDX | isa.BPF_MEMSX | isa.BPF_B == 0x91
    assert (isa.BPF_XCHG, isa.BPF_CMPXCHG) == (0xE1, 0xF1)
    assert (isa.BPF_PSEUDO_MAP_FD, isa.BPF_PSEUDO_MAP_VALUE, isa.BPF_PSEUDO_FUNC) == (1, 2, 4)
    assert (isa.BPF_PSEUDO_MAP_IDX, isa.BPF_PSEUDO_MAP_IDX_VALUE, isa.BPF_PSEUDO_CALL) == (5, 6, 1)
    assert len(VALID_OPCODES) + 1 == 127  # RFC 9669 opcodes, legacy packet loads and may_goto


def test_slot_layout_is_little_endian_with_register_nibbles() -> None:
    insn = Insn(0x61, dst=2, src=10, off=-4, imm=0)
    assert isa.encode([insn]) == bytes.fromhex("61a2fcff00000000")
    assert isa.decode(bytes.fromhex("61a2fcff00000000")) == [insn]


def test_lddw_occupies_two_slots() -> None:
    prog = [*isa.lddw(1, 0x1122334455667788), Insn(isa.OP_EXIT)]
    data = isa.encode(prog)
    assert data.hex() == "1801000088776655000000004433221195" + "00" * 7
    first, second, _ = isa.decode(data)
    assert first.imm64 == 0x1122334455667788 and first.imm == 0x55667788
    assert second == Insn(0, imm=0x11223344)


def test_fields_are_normalised_to_signed() -> None:
    assert Insn(0xB7, imm=0xFFFFFFFF).imm == -1
    assert Insn(0x79, off=0xFFFF).off == -1
    assert Insn(0x18, imm64=-1).imm64 == 2**64 - 1
    for bad in ({"imm": 2**32}, {"off": 2**16}, {"dst": 16}, {"opcode": 256}):
        with pytest.raises(ValueError):
            Insn(**{"opcode": 0xB7, **bad})
    with pytest.raises(ValueError, match="disagrees"):
        Insn(0x18, imm=5, imm64=6)


@given(valid_program())
def test_decode_inverts_encode(prog: list[Insn]) -> None:
    data = isa.encode(prog)
    assert len(data) == 8 * len(prog)
    assert isa.decode(data) == prog
    isa.validate(prog)


@given(raw_programs)
@settings(max_examples=300)
def test_encode_inverts_decode_on_any_bytes(data: bytes) -> None:
    try:
        prog = isa.decode(data)
    except InvalidProgram as exc:
        assert exc.pc is not None and "truncated" in exc.reason
        assert data[8 * exc.pc] == isa.OP_LDDW
        return
    assert isa.encode(prog) == data


def test_decode_rejects_bad_lengths_naming_the_slot() -> None:
    with pytest.raises(InvalidProgram, match="multiple of 8") as info:
        isa.decode(b"\x95" + b"\0" * 10)
    assert info.value.pc == 1 and isinstance(info.value, ChamelioError)
    with pytest.raises(InvalidProgram, match="truncated") as info:
        isa.decode(bytes.fromhex("9500000000000000" + "1800000001000000"))
    assert info.value.pc == 1


def test_encode_rejects_an_inconsistent_lddw_pair() -> None:
    first, _ = isa.lddw(0, 0x100000002)
    with pytest.raises(InvalidProgram, match="disagrees"):
        isa.encode([first, Insn(0, imm=7)])
    with pytest.raises(InvalidProgram, match="truncated"):
        isa.encode([first])


@pytest.mark.parametrize(
    ("insn", "reason"),
    [
        (Insn(0xD4, imm=8), "byte swap width"),
        (Insn(0xDF, imm=16), "ALU64 END with BPF_X"),
        (Insn(0x8C), "NEG with BPF_X"),
        (Insn(0xDB, 1, 2, 0, 0x02), "invalid atomic"),
        (Insn(0xD3, 1, 2), "invalid store mode"),  # atomic on a byte
        (Insn(0x85, src=3), "invalid call source"),
        (Insn(0x86), "CALL in JMP32"),
        (Insn(0x96), "EXIT must be 0x95"),
        (Insn(0x34, off=2, imm=1), "div/mod"),
        (Insn(0xBC, 1, 2, 32), "movsx width"),  # 32-bit movsx has no 32 width
        (Insn(0x99, 1, 2), "invalid load mode"),  # MEMSX on a doubleword
        (Insn(0xF4), "invalid ALU operation"),
        (Insn(0xF5), "invalid jump operation"),
        (Insn(0x00), "LD class"),
    ],
)
def test_check_insn_names_the_problem(insn: Insn, reason: str) -> None:
    message = isa.check_insn(insn)
    assert message is not None and reason in message


def test_validate_checks_registers_and_lddw_pairs() -> None:
    with pytest.raises(InvalidProgram, match="invalid register r11") as info:
        isa.validate([Insn(isa.OP_EXIT), Insn(0xBF, 11, 1)])
    assert info.value.pc == 1
    with pytest.raises(InvalidProgram, match="lddw source 7"):
        isa.validate(isa.lddw(0, 1, src=7))
    first, second = isa.lddw(0, 1)
    with pytest.raises(InvalidProgram, match="second slot"):
        isa.validate([first, Insn(0, dst=1, imm=second.imm)])
    isa.validate([*isa.lddw(0, 1, src=isa.BPF_PSEUDO_MAP_IDX_VALUE), Insn(isa.OP_EXIT)])


@pytest.mark.parametrize(
    ("insn", "cpu", "group"),
    [
        (Insn(0xB7, imm=1), 1, "base64"),
        (Insn(0xB4, imm=1), 1, "base32"),
        (Insn(0x18, imm64=1), 1, "base64"),
        (Insn(0x95), 1, "base32"),
        (Insn(0x85, imm=1), 1, "base32"),
        (Insn(0x85, src=1, imm=1), 3, "base32"),
        (Insn(0x8D, dst=2), 1, "callx"),
        (Insn(0xA5, 1), 2, "base64"),  # jlt
        (Insn(0xDD, 1, 2), 2, "base64"),  # jsle
        (Insn(0x16, 1), 3, "base32"),  # jeq32
        (Insn(0x06, imm=1), 4, "base32"),  # ja32
        (Insn(0x3F, 1, 2, 1), 4, "divmul64"),  # sdiv
        (Insn(0x94, 1, 0, 1, 3), 4, "divmul32"),  # smod32
        (Insn(0x24, 1, 0, 0, 3), 1, "divmul32"),  # mul32
        (Insn(0xBF, 1, 2, 16), 4, "base64"),  # movsx1664
        (Insn(0xD7, 1, imm=64), 4, "base64"),  # bswap64
        (Insn(0xD7, 1, imm=16), 4, "base32"),  # bswap16
        (Insn(0xDC, 1, imm=32), 1, "base32"),  # be32
        (Insn(0x91, 1, 2), 4, "base32"),  # ldxsb
        (Insn(0x81, 1, 2), 4, "base64"),  # ldxsw
        (Insn(0x79, 1, 2), 1, "base64"),  # ldxdw
        (Insn(0x63, 1, 2), 1, "base32"),  # stxw
        (Insn(0xC3, 1, 2, 0, 0), 3, "atomic32"),
        (Insn(0xDB, 1, 2, 0, 0xF1), 3, "atomic64"),
        (Insn(0x30, imm=1), 1, "packet"),
        (Insn(0xE5, off=1), 4, "base64"),
    ],
)
def test_required_cpu_and_group(insn: Insn, cpu: int, group: str) -> None:
    assert isa.required_cpu(insn) == cpu
    assert isa.conformance_group(insn) == group


@given(valid_insn())
def test_every_valid_insn_has_a_cpu_and_a_group(insn: Insn) -> None:
    assert isa.required_cpu(insn) in isa.CPU_VERSIONS
    assert isa.conformance_group(insn) in isa.CONFORMANCE_GROUPS


def test_program_requirements_take_the_maximum() -> None:
    prog = [Insn(0xB7), *isa.lddw(1, 2), Insn(0xA5, 1), Insn(0xDB, 10, 1, -8, 1), Insn(0x95)]
    assert isa.program_requirements(prog) == (3, frozenset({"base64", "base32", "atomic64"}))
