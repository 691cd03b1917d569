"""eBPF operation semantics (RFC 9669) on Python integers: ALU, jumps, byte swaps.

Registers hold unsigned 64-bit values. 32-bit operations read the low halves and
zero-extend their result. Shift amounts are masked to the width; division by zero gives 0
and modulo by zero leaves the dividend (its low half for 32-bit ops); signed division of
the most negative value by -1 gives that value back, and its modulo gives 0.

The tables map an operation code (``BPF_ADD`` ...) to ``f(dst, src) -> result`` with both
operands already unsigned; :func:`alu` and :func:`jump` are the general entry points (the
verifier and the JIT tests use them as the reference semantics too).
"""

from __future__ import annotations

from collections.abc import Callable

from chamelio.ebpf import isa

U32 = 0xFFFF_FFFF
U64 = 0xFFFF_FFFF_FFFF_FFFF

BinOp = Callable[[int, int], int]
Cond = Callable[[int, int], bool]


def sext(value: int, bits: int) -> int:
    """``value``'s low ``bits`` read as a two's-complement signed integer."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _tdiv(a: int, b: int) -> int:
    """C's truncating division of signed integers (``b`` nonzero)."""
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def _tmod(a: int, b: int) -> int:
    """C's remainder: the sign follows the dividend (``b`` nonzero)."""
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def _table(bits: int) -> dict[int, BinOp]:
    mask = (1 << bits) - 1
    shift = bits - 1

    def sdiv(a: int, b: int) -> int:
        b &= mask
        return _tdiv(sext(a, bits), sext(b, bits)) & mask if b else 0

    def smod(a: int, b: int) -> int:
        b &= mask
        return _tmod(sext(a, bits), sext(b, bits)) & mask if b else a & mask

    ops: dict[int, BinOp] = {
        isa.BPF_ADD: lambda a, b: (a + b) & mask,
        isa.BPF_SUB: lambda a, b: (a - b) & mask,
        isa.BPF_MUL: lambda a, b: (a * b) & mask,
        isa.BPF_DIV: lambda a, b: (a & mask) // (b & mask) if b & mask else 0,
        isa.BPF_OR: lambda a, b: (a | b) & mask,
        isa.BPF_AND: lambda a, b: a & b & mask,
        isa.BPF_LSH: lambda a, b: (a << (b & shift)) & mask,
        isa.BPF_RSH: lambda a, b: (a & mask) >> (b & shift),
        isa.BPF_NEG: lambda a, b: -a & mask,
        isa.BPF_MOD: lambda a, b: (a & mask) % (b & mask) if b & mask else a & mask,
        isa.BPF_XOR: lambda a, b: (a ^ b) & mask,
        isa.BPF_MOV: lambda a, b: b & mask,
        isa.BPF_ARSH: lambda a, b: (sext(a, bits) >> (b & shift)) & mask,
        # signed forms (offset 1 of div/mod), keyed by op | 1
        isa.BPF_DIV | 1: sdiv,
        isa.BPF_MOD | 1: smod,
    }
    return ops


ALU64: dict[int, BinOp] = _table(64)
ALU32: dict[int, BinOp] = _table(32)


def bswap(value: int, width: int) -> int:
    """Reverse the byte order of ``value``'s low ``width`` bits (zero-extended)."""
    n = width // 8
    return int.from_bytes((value & ((1 << width) - 1)).to_bytes(n, "little"), "big")


def end(cls: int, source: int, width: int, value: int) -> int:
    """``BPF_END``: to-LE truncates (little-endian host), to-BE and ALU64 bswap swap."""
    if cls == isa.BPF_ALU and source == isa.BPF_TO_LE:
        return value & ((1 << width) - 1)
    return bswap(value, width)


def movsx(cls: int, bits: int, value: int) -> int:
    """``movsx``: sign-extend ``value``'s low ``bits`` to the operation width."""
    return sext(value, bits) & (U64 if cls == isa.BPF_ALU64 else U32)


def alu(insn: isa.Insn, dst: int, src: int) -> int:
    """The new value of dst for an ALU/ALU64 instruction, given dst and src register values
    (``src`` is ignored for ``BPF_K`` forms: the immediate is used)."""
    wide = insn.cls == isa.BPF_ALU64
    op = insn.op
    if op == isa.BPF_END:
        return end(insn.cls, insn.source, insn.imm, dst)
    if insn.source == isa.BPF_X:
        operand = src
        if op == isa.BPF_MOV and insn.off:
            return movsx(insn.cls, insn.off, src)
    else:
        operand = insn.imm & (U64 if wide else U32)
    if op in (isa.BPF_DIV, isa.BPF_MOD) and insn.off == 1:
        op |= 1
    return (ALU64 if wide else ALU32)[op](dst, operand)


def _conds(bits: int) -> dict[int, Cond]:
    mask = (1 << bits) - 1
    return {
        isa.BPF_JEQ: lambda a, b: a & mask == b & mask,
        isa.BPF_JNE: lambda a, b: a & mask != b & mask,
        isa.BPF_JGT: lambda a, b: a & mask > b & mask,
        isa.BPF_JGE: lambda a, b: a & mask >= b & mask,
        isa.BPF_JLT: lambda a, b: a & mask < b & mask,
        isa.BPF_JLE: lambda a, b: a & mask <= b & mask,
        isa.BPF_JSET: lambda a, b: bool(a & b & mask),
        isa.BPF_JSGT: lambda a, b: sext(a, bits) > sext(b, bits),
        isa.BPF_JSGE: lambda a, b: sext(a, bits) >= sext(b, bits),
        isa.BPF_JSLT: lambda a, b: sext(a, bits) < sext(b, bits),
        isa.BPF_JSLE: lambda a, b: sext(a, bits) <= sext(b, bits),
    }


JMP64: dict[int, Cond] = _conds(64)
JMP32: dict[int, Cond] = _conds(32)


def jump(insn: isa.Insn, dst: int, src: int) -> bool:
    """Whether a conditional JMP/JMP32 instruction is taken."""
    operand = src if insn.source == isa.BPF_X else insn.imm & U64
    return (JMP64 if insn.cls == isa.BPF_JMP else JMP32)[insn.op](dst, operand)


def atomic(op: int, old: int, operand: int, width: int) -> int:
    """The value an atomic add/or/and/xor/xchg stores, given the old memory value."""
    mask = (1 << width) - 1
    base = op & ~isa.BPF_FETCH
    if op == isa.BPF_XCHG:
        return operand & mask
    if base == isa.BPF_ADD:
        return (old + operand) & mask
    if base == isa.BPF_OR:
        return (old | operand) & mask
    if base == isa.BPF_AND:
        return old & operand & mask
    if base == isa.BPF_XOR:
        return (old ^ operand) & mask
    raise ValueError(f"not an atomic read-modify-write operation: {op:#x}")
