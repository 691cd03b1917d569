"""The lifter's IR shape and the semantics it must keep."""

from __future__ import annotations

import ctypes
import gc
import re
import struct

import pytest

from chamelio.ebpf import isa
from chamelio.ebpf.isa import Insn, InvalidProgram
from chamelio.jit import JitProgram, LiftUnsupported, lift
from chamelio.jit.lift import helper_symbol, map_symbol, map_value_symbol

HelperFn = ctypes.CFUNCTYPE(ctypes.c_uint64, *([ctypes.c_uint64] * 5))

EXIT = Insn(isa.OP_EXIT)


def _ldx(dst: int, off: int, size: int = isa.BPF_DW, mode: int = isa.BPF_MEM) -> Insn:
    return Insn(isa.BPF_LDX | mode | size, dst=dst, src=1, off=off)


def test_entry_signature_and_align_one() -> None:
    ir = lift([_ldx(0, 3), EXIT])
    assert "define i64 @prog(ptr %mem, i64 %len)" in ir
    assert re.search(r"load i64, ptr %t\d+, align 1", ir)
    assert "alloca [512 x i8]" in ir


def test_divisor_is_made_safe_before_the_divide() -> None:
    for op, mnemonic in ((isa.BPF_DIV, "udiv"), (isa.BPF_MOD, "urem")):
        ir = lift([_ldx(2, 0), Insn(isa.BPF_ALU64 | op | isa.BPF_X, dst=0, src=2), EXIT])
        m = re.search(rf"{mnemonic} i64 %t\d+, (%t\d+)", ir)
        assert m is not None, ir
        assert re.search(rf"{m.group(1)} = select i1 %t\d+, i64 1, i64 %t\d+", ir), ir


def test_signed_division_guards_minus_one() -> None:
    ir = lift(
        [_ldx(2, 0), Insn(isa.BPF_ALU64 | isa.BPF_DIV | isa.BPF_X, dst=0, src=2, off=1), EXIT]
    )
    assert "icmp eq i64 %t" in ir and ", -1" in ir
    prog = JitProgram(
        [
            _ldx(0, 0),
            _ldx(2, 8),
            Insn(isa.BPF_ALU64 | isa.BPF_DIV | isa.BPF_X, dst=0, src=2, off=1),
            EXIT,
        ]
    )
    int_min = 1 << 63
    assert prog.run(struct.pack("<QQ", int_min, (1 << 64) - 1))[0] == int_min


def test_local_calls_are_functions_and_keep_callee_saved_registers() -> None:
    insns = [
        Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_K, dst=6, imm=6),
        Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_K, dst=1, imm=40),
        Insn(isa.OP_CALL, src=isa.BPF_PSEUDO_CALL, imm=2),
        Insn(isa.BPF_ALU64 | isa.BPF_ADD | isa.BPF_X, dst=0, src=6),
        EXIT,
        # sub at slot 5: clobbers r6, uses its own stack
        Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_K, dst=6, imm=100),
        Insn(isa.BPF_STX | isa.BPF_MEM | isa.BPF_DW, dst=10, src=1, off=-8),
        Insn(isa.BPF_LDX | isa.BPF_MEM | isa.BPF_DW, dst=0, src=10, off=-8),
        Insn(isa.BPF_ALU64 | isa.BPF_ADD | isa.BPF_K, dst=0, imm=1),
        EXIT,
    ]
    assert "define i64 @sub_5(" in lift(insns)
    assert JitProgram(insns).run()[0] == 47


def test_sign_extending_load_and_byte_swaps() -> None:
    prog = JitProgram([_ldx(0, 0, isa.BPF_H, isa.BPF_MEMSX), EXIT])
    assert prog.run(b"\xfe\xff")[0] == (1 << 64) - 2
    swap = JitProgram([_ldx(0, 0), Insn(isa.BPF_ALU | isa.BPF_END | isa.BPF_TO_BE, imm=16), EXIT])
    assert swap.run(bytes.fromhex("1122334455667788"))[0] == 0x1122
    le = JitProgram([_ldx(0, 0), Insn(isa.BPF_ALU | isa.BPF_END | isa.BPF_TO_LE, imm=32), EXIT])
    assert le.run(bytes.fromhex("1122334455667788"))[0] == 0x44332211


def test_atomic_xchg_writes_back_old_value() -> None:
    prog = JitProgram(
        [
            Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_K, dst=2, imm=7),
            Insn(isa.BPF_STX | isa.BPF_ATOMIC | isa.BPF_DW, dst=1, src=2, imm=isa.BPF_XCHG),
            Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_X, dst=0, src=2),
            EXIT,
        ]
    )
    r0, after = prog.run(struct.pack("<Q", 99))
    assert (r0, after) == (99, struct.pack("<Q", 7))


def test_unsupported_features_raise() -> None:
    with pytest.raises(LiftUnsupported, match="callx"):
        lift([Insn(isa.OP_CALLX, dst=1), EXIT])
    with pytest.raises(LiftUnsupported, match="pseudo source 4"):
        lift([*isa.lddw(1, 3, src=isa.BPF_PSEUDO_FUNC), EXIT])
    with pytest.raises(LiftUnsupported, match="no provider"):
        JitProgram([Insn(isa.OP_CALL, imm=5), EXIT])


def test_helpers_and_maps_are_provider_symbols() -> None:
    insns = [
        *isa.lddw(6, (8 << 32) | 3, src=isa.BPF_PSEUDO_MAP_VALUE),  # &value of map 3 + 8
        *isa.lddw(1, 3, src=isa.BPF_PSEUDO_MAP_FD),  # map 3 itself
        Insn(isa.BPF_LDX | isa.BPF_MEM | isa.BPF_DW, dst=2, src=6, off=0),
        Insn(isa.OP_CALL, imm=7),
        Insn(isa.BPF_STX | isa.BPF_MEM | isa.BPF_DW, dst=6, src=0, off=0),
        EXIT,
    ]
    ir = lift(insns)
    assert f"declare i64 @{helper_symbol(7)}(i64, i64, i64, i64, i64)" in ir
    assert f"@{map_symbol(3)} = external global i8" in ir
    handle = ctypes.create_string_buffer(8)
    value = (ctypes.c_uint64 * 2)(0, 40)
    seen: list[tuple[int, int]] = []

    @HelperFn
    def helper(a1: int, a2: int, a3: int, a4: int, a5: int) -> int:
        seen.append((a1, a2))
        return a2 + 2

    symbols = {
        helper_symbol(7): ctypes.cast(helper, ctypes.c_void_p).value or 0,
        map_symbol(3): ctypes.addressof(handle),
        map_value_symbol(3): ctypes.addressof(value),
    }
    assert JitProgram(insns, symbols=symbols).run()[0] == 42
    assert seen == [(ctypes.addressof(handle), 40)]
    assert value[1] == 42


def test_malformed_programs_are_rejected() -> None:
    with pytest.raises(InvalidProgram):
        lift([])
    with pytest.raises(InvalidProgram):
        lift([Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_K, dst=0, imm=1)])  # falls off
    with pytest.raises(InvalidProgram):
        lift([Insn(isa.OP_JA, off=5), EXIT])
    with pytest.raises(InvalidProgram, match="recursive"):
        lift(
            [
                Insn(isa.OP_CALL, src=isa.BPF_PSEUDO_CALL, imm=1),
                EXIT,
                Insn(isa.OP_CALL, src=isa.BPF_PSEUDO_CALL, imm=-1),
                EXIT,
            ]
        )


def test_program_stays_loaded_while_alive() -> None:
    first = JitProgram([Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_K, dst=0, imm=1), EXIT])
    other = JitProgram([Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_K, dst=0, imm=2), EXIT])
    del other
    gc.collect()
    assert first.run()[0] == 1
