"""Integer semantics of ``chamelio.lang``, defined once.

Every execution of a handler agrees with these functions: the runtime's ``u8 .. i64`` types
call them for each operator, and the compiler calls them for constant folding (and its code
generation must produce the same results). Values are plain Python ints in the canonical range
of their type: ``0 .. 2**bits - 1`` when unsigned, ``-2**(bits-1) .. 2**(bits-1) - 1`` when
signed. Every function accepts any Python int as an operand and reduces it to the type first.

The rules (the eBPF ones, which LLVM must be kept from treating as undefined behaviour):

- every result wraps around at the width, signed results included (two's complement);
- ``div`` and ``mod``: unsigned as eBPF ``div``/``mod``; signed truncate toward zero as C and
  eBPF ``sdiv``/``smod`` (the remainder takes the sign of the dividend);
  ``x // 0 == 0`` and ``x % 0 == x``; signed ``MIN // -1 == MIN`` and ``MIN % -1 == 0``;
- shift amounts are masked to ``bits - 1`` (an amount is read as unsigned bits, so ``-1``
  masks to ``bits - 1``); ``shr`` is arithmetic on signed types, logical on unsigned;
- a cast truncates to the new width and reinterprets the bits; because values carry their
  source's signedness (a negative value is a signed source), widening sign-extends signed
  values and zero-extends unsigned ones;
- comparisons compare the values as their type reads them (signed or unsigned).
"""

from __future__ import annotations

from collections.abc import Callable

WIDTHS = (8, 16, 32, 64)


def mask(bits: int) -> int:
    return (1 << bits) - 1


def min_value(bits: int, signed: bool) -> int:
    return -(1 << (bits - 1)) if signed else 0


def max_value(bits: int, signed: bool) -> int:
    return (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1


def fits(v: int, bits: int, signed: bool) -> bool:
    """Whether ``v`` is representable in the type without wrapping."""
    return min_value(bits, signed) <= v <= max_value(bits, signed)


def wrap(v: int, bits: int, signed: bool) -> int:
    """Reduce ``v`` modulo ``2**bits`` into the canonical range of the type."""
    v &= (1 << bits) - 1
    if signed and v >> (bits - 1):
        v -= 1 << bits
    return v


def cast(v: int, to_bits: int, to_signed: bool) -> int:
    """Convert a value (already in its source type's range) to another integer type."""
    return wrap(v, to_bits, to_signed)


def to_unsigned(v: int, bits: int) -> int:
    """The bit pattern of ``v`` as an unsigned number (what a register holds)."""
    return v & ((1 << bits) - 1)


def add(a: int, b: int, bits: int, signed: bool) -> int:
    return wrap(a + b, bits, signed)


def sub(a: int, b: int, bits: int, signed: bool) -> int:
    return wrap(a - b, bits, signed)


def mul(a: int, b: int, bits: int, signed: bool) -> int:
    return wrap(a * b, bits, signed)


def div(a: int, b: int, bits: int, signed: bool) -> int:
    a, b = wrap(a, bits, signed), wrap(b, bits, signed)
    if b == 0:
        return 0
    q = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        q = -q
    return wrap(q, bits, signed)


def mod(a: int, b: int, bits: int, signed: bool) -> int:
    a, b = wrap(a, bits, signed), wrap(b, bits, signed)
    if b == 0:
        return a
    r = abs(a) % abs(b)
    if a < 0:
        r = -r
    return wrap(r, bits, signed)


def shift_amount(n: int, bits: int) -> int:
    """The effective amount of a shift: ``n`` masked to ``bits - 1``."""
    return n & (bits - 1)


def shl(a: int, n: int, bits: int, signed: bool = False) -> int:
    return wrap(a << shift_amount(n, bits), bits, signed)


def shr(a: int, n: int, bits: int, signed: bool) -> int:
    n = shift_amount(n, bits)
    if signed:
        return wrap(wrap(a, bits, True) >> n, bits, True)
    return to_unsigned(a, bits) >> n


def bit_and(a: int, b: int, bits: int, signed: bool) -> int:
    return wrap(a & b, bits, signed)


def bit_or(a: int, b: int, bits: int, signed: bool) -> int:
    return wrap(a | b, bits, signed)


def bit_xor(a: int, b: int, bits: int, signed: bool) -> int:
    return wrap(a ^ b, bits, signed)


def neg(a: int, bits: int, signed: bool) -> int:
    return wrap(-a, bits, signed)


def invert(a: int, bits: int, signed: bool) -> int:
    return wrap(~a, bits, signed)


def _shl4(a: int, b: int, bits: int, signed: bool) -> int:
    return shl(a, b, bits, signed)


BinaryOp = Callable[[int, int, int, bool], int]

# Python operator symbol -> semantics; both the runtime and the constant folder dispatch here.
BINARY_OPS: dict[str, BinaryOp] = {
    "+": add,
    "-": sub,
    "*": mul,
    "//": div,
    "%": mod,
    "<<": _shl4,
    ">>": shr,
    "&": bit_and,
    "|": bit_or,
    "^": bit_xor,
}

UNARY_OPS: dict[str, Callable[[int, int, bool], int]] = {
    "-": neg,
    "~": invert,
    "+": wrap,
}

COMPARE_OPS: dict[str, Callable[[int, int], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def binop(op: str, a: int, b: int, bits: int, signed: bool) -> int:
    """Apply the binary operator written ``op`` (``"+"``, ``"//"``, ``"<<"`` ...)."""
    return BINARY_OPS[op](a, b, bits, signed)


def unop(op: str, a: int, bits: int, signed: bool) -> int:
    return UNARY_OPS[op](a, bits, signed)


def compare(op: str, a: int, b: int, bits: int, signed: bool) -> bool:
    """Compare two values of one type (``op`` one of ``== != < <= > >=``)."""
    return COMPARE_OPS[op](wrap(a, bits, signed), wrap(b, bits, signed))


# Byte-order helpers shared by the packet view and the constant folder.
def bswap(v: int, bits: int) -> int:
    return int.from_bytes(to_unsigned(v, bits).to_bytes(bits // 8, "little"), "big")
