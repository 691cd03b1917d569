"""Source generators and edge values for the integer-semantics tests (not a test module)."""

from __future__ import annotations

import itertools
from types import ModuleType

from chamelio.lang import intops
from chamelio.lang.compiler.frontend import module_from_source

BINOPS = ["+", "-", "*", "//", "%", "<<", ">>", "&", "|", "^"]
CMPOPS = ["==", "!=", "<", "<=", ">", ">="]
NEG, INVERT = len(BINOPS), len(BINOPS) + 1
TYPES = [(bits, signed) for signed in (False, True) for bits in (8, 16, 32, 64)]


def tname(bits: int, signed: bool) -> str:
    return f"{'i' if signed else 'u'}{bits}"


def edge_values(bits: int, signed: bool) -> list[int]:
    lo, hi = intops.min_value(bits, signed), intops.max_value(bits, signed)
    vals = {0, 1, 2, 3, 7, bits - 1, bits, bits + 1, hi, hi - 1, hi // 2, hi // 2 + 1, lo,
            lo + 1, 0x55 & hi, intops.wrap(0x8000_0001, bits, signed)}
    if signed:
        vals |= {-1, -2, -3, -7, -bits, lo // 2}
    return sorted(v for v in vals if intops.fits(v, bits, signed))


def pairs(bits: int, signed: bool) -> list[tuple[int, int]]:
    v = edge_values(bits, signed)
    return list(itertools.product(v, v))


def expected(op: int, a: int, b: int, bits: int, signed: bool) -> int:
    if op < len(BINOPS):
        return intops.binop(BINOPS[op], a, b, bits, signed)
    if op == NEG:
        return intops.neg(a, bits, signed)
    return intops.invert(a, bits, signed)


def expected_cmp(op: int, a: int, b: int, bits: int, signed: bool) -> bool:
    return intops.compare(CMPOPS[op], a, b, bits, signed)


def ops_module(bits: int, signed: bool) -> ModuleType:
    """``ops(op, a, b)``, ``cmp(op, a, b)``, ``casts(a, to)`` for one type, plus an XDP
    program running them on operands read from the packet (little-endian u64 words: op at
    0, a at 8, b at 16; results written back at 0 (ops), 8 (cmp) and 16.. (casts))."""
    t = tname(bits, signed)
    names = sorted({tname(b, s) for b, s in TYPES})
    out = [f"from chamelio.lang import {', '.join(names)}, XdpCtx, XdpAction", ""]
    out.append(f"def ops(op: u8, a: {t}, b: {t}) -> {t}:")
    for i, o in enumerate(BINOPS):
        out += [f"    if op == {i}:", f"        return a {o} b"]
    out += [f"    if op == {NEG}:", "        return -a", "    return ~a", ""]
    out.append(f"def cmp(op: u8, a: {t}, b: {t}) -> bool:")
    for i, o in enumerate(CMPOPS[:-1]):
        out += [f"    if op == {i}:", f"        return a {o} b"]
    out += [f"    return a {CMPOPS[-1]} b", ""]
    out.append(f"def casts(a: {t}, to: u8) -> u64:")
    for i, (b2, s2) in enumerate(TYPES):
        out += [f"    if to == {i}:", f"        return u64({tname(b2, s2)}(a))"]
    out += ["    return u64(bool(a))", ""]
    out += [
        "def prog(ctx: XdpCtx) -> u32:",
        "    pkt = ctx.packet()",
        "    if not pkt.has(24 + 8 * 9):",
        "        return XdpAction.ABORTED",
        "    op = u8(pkt.le64(0))",
        f"    a = {t}(pkt.le64(8))",
        f"    b = {t}(pkt.le64(16))",
        "    pkt.store_le64(0, u64(ops(op, a, b)))",
        "    pkt.store_le64(8, u64(cmp(op % 6, a, b)))",
        "    for i in range(9):",
        "        pkt.store_le64(16 + 8 * i, casts(a, u8(i)))",
        "    return XdpAction.PASS",
    ]
    return module_from_source("\n".join(out) + "\n", f"<ops-{t}>")


def cast_expected(a: int, to: int) -> int:
    if to == len(TYPES):
        return int(a != 0)
    b2, s2 = TYPES[to]
    return intops.to_unsigned(intops.cast(a, b2, s2), 64)
