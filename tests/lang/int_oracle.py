"""An independent model of the integer rules, for testing ``intops`` and the runtime ints.

Wrapping comes from ctypes (C's own conversions), division from exact rationals truncated
toward zero, shifts from powers of two: nothing here calls ``chamelio.lang.intops``.
"""

from __future__ import annotations

import ctypes
import math
from fractions import Fraction

from hypothesis import strategies as st

CTYPES = {
    (8, False): ctypes.c_uint8, (16, False): ctypes.c_uint16,
    (32, False): ctypes.c_uint32, (64, False): ctypes.c_uint64,
    (8, True): ctypes.c_int8, (16, True): ctypes.c_int16,
    (32, True): ctypes.c_int32, (64, True): ctypes.c_int64,
}
TYPES = list(CTYPES)


def c(v: int, bits: int, signed: bool) -> int:
    return CTYPES[bits, signed](v).value


def lo(bits: int, signed: bool) -> int:
    return -(2 ** (bits - 1)) if signed else 0


def hi(bits: int, signed: bool) -> int:
    return 2 ** (bits - 1) - 1 if signed else 2**bits - 1


def pattern(v: int, bits: int) -> int:
    return CTYPES[bits, False](v).value


def oracle(op: str, a: int, b: int, bits: int, signed: bool) -> int:
    if op == "+":
        return c(a + b, bits, signed)
    if op == "-":
        return c(a - b, bits, signed)
    if op == "*":
        return c(a * b, bits, signed)
    if op == "//":
        return 0 if b == 0 else c(math.trunc(Fraction(a, b)), bits, signed)
    if op == "%":
        return a if b == 0 else c(a - b * math.trunc(Fraction(a, b)), bits, signed)
    if op == "<<":
        return c(a * 2 ** (b % bits), bits, signed)
    if op == ">>":
        k = b % bits
        return math.floor(Fraction(a, 2**k)) if signed else pattern(a, bits) // 2**k
    if op == "&":
        return c(pattern(a, bits) & pattern(b, bits), bits, signed)
    if op == "|":
        return c(pattern(a, bits) | pattern(b, bits), bits, signed)
    if op == "^":
        return c(pattern(a, bits) ^ pattern(b, bits), bits, signed)
    raise AssertionError(op)


def edges(bits: int, signed: bool) -> list[int]:
    mn, mx = lo(bits, signed), hi(bits, signed)
    vals = {0, 1, 2, 3, 7, mn, mx, mn + 1, mx - 1, bits - 1, bits, bits + 1, 2 * bits}
    vals |= {c(-1, bits, signed), c(-2, bits, signed), c(1 << (bits - 1), bits, signed)}
    return sorted(v for v in vals if mn <= v <= mx)


def values(bits: int, signed: bool) -> st.SearchStrategy[int]:
    return st.sampled_from(edges(bits, signed)) | st.integers(lo(bits, signed), hi(bits, signed))


OPS = ["+", "-", "*", "//", "%", "<<", ">>", "&", "|", "^"]


ALL_EDGES = sorted({v for t in TYPES for v in edges(*t)})
RAW = st.sampled_from(ALL_EDGES) | st.integers(-(2**64), 2**64)


def _in(t: tuple[int, bool], v: int) -> int:
    return c(v, *t)


def binary_cases() -> st.SearchStrategy[tuple[tuple[int, bool], str, int, int]]:
    """(type, op, a, b) with a and b in the type's range, edge values favoured."""
    return st.tuples(st.sampled_from(TYPES), st.sampled_from(OPS), RAW, RAW).map(
        lambda x: (x[0], x[1], _in(x[0], x[2]), _in(x[0], x[3])))
