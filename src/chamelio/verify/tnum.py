"""Tristate numbers: the known bits of a 64-bit value (after the kernel's ``tnum.c``).

A :class:`Tnum` ``(value, mask)`` stands for every 64-bit ``x`` with ``x & ~mask == value``:
bits set in ``mask`` are unknown, the others are those of ``value``. The invariant
``value & mask == 0`` holds for every tnum this module builds. All arithmetic is modulo
2**64; 32-bit callers work on zero-extended tnums and :meth:`Tnum.cast` the result.
"""

from __future__ import annotations

from dataclasses import dataclass

U32 = 0xFFFF_FFFF
U64 = 0xFFFF_FFFF_FFFF_FFFF
SIGN64 = 1 << 63
UPPER32 = U64 ^ U32


def _add(av: int, am: int, bv: int, bm: int) -> tuple[int, int]:
    """Known bits of a sum, as raw ``(value, mask)``: carries out of unknown bits are unknown."""
    sv = av + bv
    sm = am + bm
    chi = ((sv + sm) ^ sv) & U64
    mu = chi | am | bm
    return sv & ~mu & U64, mu


@dataclass(frozen=True, slots=True)
class Tnum:
    """Known bits of a 64-bit value: ``value`` holds the known ones, ``mask`` the unknown bits."""

    value: int
    mask: int

    # ----------------------------------------------------------------- constructors
    @staticmethod
    def const(v: int) -> Tnum:
        return new_tnum(v & U64, 0)

    @staticmethod
    def unknown() -> Tnum:
        return UNKNOWN

    @staticmethod
    def range(lo: int, hi: int) -> Tnum:
        """The tightest tnum holding every value of the unsigned range ``[lo, hi]``."""
        delta = (1 << (lo ^ hi).bit_length()) - 1
        return new_tnum(lo & ~delta & U64, delta & U64)

    # ------------------------------------------------------------------- queries
    def is_const(self) -> bool:
        return self.mask == 0

    def contains(self, v: int) -> bool:
        """Whether ``v`` (mod 2**64) is one of the values."""
        return (v & U64) & ~self.mask == self.value

    def covers(self, other: Tnum) -> bool:
        """Whether every value of ``other`` is a value of ``self`` (the kernel's ``tnum_in``)."""
        if other.mask & ~self.mask:
            return False
        return other.value & ~self.mask == self.value

    def umin(self) -> int:
        return self.value

    def umax(self) -> int:
        return self.value | self.mask

    def smin(self) -> int:
        v = self.value | (self.mask & SIGN64)
        return v - (1 << 64) if v & SIGN64 else v

    def smax(self) -> int:
        v = self.value | (self.mask & ~SIGN64)
        return v - (1 << 64) if v & SIGN64 else v

    def members(self) -> list[int]:
        """Every value, smallest first (only for small masks: tests and diagnostics)."""
        bits = [1 << i for i in range(64) if self.mask >> i & 1]
        out = [self.value]
        for bit in bits:
            out += [x | bit for x in out]
        return sorted(out)

    # ---------------------------------------------------------------- arithmetic
    def add(self, other: Tnum) -> Tnum:
        if not (self.mask | other.mask):
            return new_tnum((self.value + other.value) & U64, 0)
        return new_tnum(*_add(self.value, self.mask, other.value, other.mask))

    def sub(self, other: Tnum) -> Tnum:
        dv = self.value - other.value
        if not (self.mask | other.mask):
            return new_tnum(dv & U64, 0)
        chi = ((dv + self.mask) ^ (dv - other.mask)) & U64
        mu = chi | self.mask | other.mask
        return new_tnum(dv & ~mu & U64, mu)

    def neg(self) -> Tnum:
        return ZERO.sub(self)

    def mul(self, other: Tnum) -> Tnum:
        """Known bits of a product: the product of the known parts plus, for every bit of
        one factor, the uncertainty that bit contributes (the kernel's current algorithm)."""
        a, b = self, other
        if not (a.mask | b.mask):
            return new_tnum((a.value * b.value) & U64, 0)
        # iterate over the shorter factor (multiplication commutes; both orders are sound)
        if (a.value | a.mask).bit_length() > (b.value | b.mask).bit_length():
            a, b = b, a
        av, am, bv, bm = a.value, a.mask, b.value, b.mask
        acc_v, acc_m = 0, 0
        while av | am:
            if av & 1:
                acc_v, acc_m = _add(acc_v, acc_m, 0, bm)
            elif am & 1:
                acc_v, acc_m = _add(acc_v, acc_m, 0, bv | bm)
            av >>= 1
            am >>= 1
            bv = (bv << 1) & U64
            bm = (bm << 1) & U64
        return new_tnum(*_add((self.value * other.value) & U64, 0, acc_v, acc_m))

    def and_(self, other: Tnum) -> Tnum:
        v = self.value & other.value
        return new_tnum(v, (self.value | self.mask) & (other.value | other.mask) & ~v)

    def or_(self, other: Tnum) -> Tnum:
        v = self.value | other.value
        return new_tnum(v, (self.mask | other.mask) & ~v)

    def xor(self, other: Tnum) -> Tnum:
        mu = self.mask | other.mask
        return new_tnum((self.value ^ other.value) & ~mu, mu)

    def lshift(self, k: int) -> Tnum:
        return new_tnum((self.value << k) & U64, (self.mask << k) & U64)

    def rshift(self, k: int) -> Tnum:
        return new_tnum(self.value >> k, self.mask >> k)

    def arshift(self, k: int, bits: int = 64) -> Tnum:
        """Arithmetic shift of the low ``bits`` (32 or 64); the result is zero-extended."""
        top = 1 << (bits - 1)
        full = (1 << bits) - 1
        v = self.value & full
        m = self.mask & full
        if m & top:  # unknown sign: the bits shifted in are unknown
            return new_tnum(v >> k, (m >> k) | (full ^ (full >> k)))
        if v & top:
            v -= 1 << bits
        return new_tnum((v >> k) & full, m >> k)

    # ------------------------------------------------------------- lattice ops
    def intersect(self, other: Tnum) -> Tnum | None:
        """The values of both, or None when their known bits disagree (no common value)."""
        if (self.value ^ other.value) & ~(self.mask | other.mask):
            return None
        mu = self.mask & other.mask
        return new_tnum((self.value | other.value) & ~mu, mu)

    def union(self, other: Tnum) -> Tnum:
        """The tightest tnum holding the values of both."""
        mu = self.mask | other.mask | (self.value ^ other.value)
        return new_tnum(self.value & ~mu, mu)

    # --------------------------------------------------------------- width ops
    def cast(self, size: int) -> Tnum:
        """The low ``size`` bytes, zero-extended."""
        if size >= 8:
            return self
        keep = (1 << (8 * size)) - 1
        return new_tnum(self.value & keep, self.mask & keep)

    def subreg(self) -> Tnum:
        """The low 32 bits, zero-extended."""
        return new_tnum(self.value & U32, self.mask & U32)

    def clear_subreg(self) -> Tnum:
        """The upper 32 bits, with the low 32 bits known zero."""
        return new_tnum(self.value & UPPER32, self.mask & UPPER32)

    def with_subreg(self, sub: Tnum) -> Tnum:
        """The upper 32 bits of ``self`` with the low 32 bits of ``sub``."""
        return new_tnum(
            (self.value & UPPER32) | (sub.value & U32), (self.mask & UPPER32) | (sub.mask & U32)
        )

    def sext(self, bits: int) -> Tnum:
        """The low ``bits`` sign-extended to 64 bits."""
        keep = (1 << bits) - 1
        top = 1 << (bits - 1)
        v, m = self.value & keep, self.mask & keep
        if m & top:
            return new_tnum(v, m | (U64 ^ keep))
        if v & top:
            return new_tnum(v | (U64 ^ keep), m)
        return new_tnum(v, m)

    def bswap(self, width: int) -> Tnum:
        """The low ``width`` bits (16, 32 or 64) byte-reversed, zero-extended."""
        n = width // 8
        keep = (1 << width) - 1
        return new_tnum(
            int.from_bytes((self.value & keep).to_bytes(n, "little"), "big"),
            int.from_bytes((self.mask & keep).to_bytes(n, "little"), "big"),
        )

    def __str__(self) -> str:
        return f"({self.value:#x}; {self.mask:#x})"


_new = object.__new__
_set_value = Tnum.__dict__["value"].__set__
_set_mask = Tnum.__dict__["mask"].__set__


def new_tnum(value: int, mask: int) -> Tnum:
    """``Tnum(value, mask)`` without the frozen dataclass's slow ``__init__``."""
    t = _new(Tnum)
    _set_value(t, value)
    _set_mask(t, mask)
    return t


ZERO = Tnum(0, 0)
UNKNOWN = Tnum(0, U64)
