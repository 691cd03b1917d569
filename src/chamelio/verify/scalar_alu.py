"""The integer arithmetic of the scalar domain: ALU transfer functions on one *width view*
of a scalar, and the normalisation that tightens a scalar's constraints against each other.

A :data:`View` ``(t, ulo, uhi, slo, shi)`` describes a set of ``w``-bit values (``w`` is 32
or 64): ``t`` their known bits (zero-extended to ``w`` bits), ``[ulo, uhi]`` their unsigned
range and ``[slo, shi]`` their two's-complement signed range. Each transfer function takes
the views of ``dst`` and ``src`` and returns a view holding every possible ``w``-bit result
(the reference semantics are those of :mod:`chamelio.ebpf.alu`). The views need not be
tight: :func:`normalise` tightens the result. This module knows nothing of
:class:`~chamelio.verify.scalar.Scalar` (it works on plain integers), so it has no import
cycle with it.
"""

from __future__ import annotations

from collections.abc import Callable

from chamelio.ebpf import isa
from chamelio.verify.tnum import U32, UPPER32, Tnum, new_tnum

View = tuple[Tnum, int, int, int, int]
Transfer = Callable[[View, View, int], View]
# (v, m, umin, umax, smin, smax, u32min, u32max, s32min, s32max): a scalar's constraints
Bounds = tuple[int, int, int, int, int, int, int, int, int, int]

S64_MIN = -(1 << 63)
S64_MAX = (1 << 63) - 1
S32_MIN = -(1 << 31)
S32_MAX = (1 << 31) - 1
_SIGN64 = 1 << 63
_SIGN32 = 1 << 31

_T32 = Tnum(0, 0xFFFF_FFFF)
_T64 = Tnum(0, 0xFFFF_FFFF_FFFF_FFFF)


def unknown_tnum(w: int) -> Tnum:
    return _T64 if w == 64 else _T32


def full_view(w: int) -> View:
    half = 1 << (w - 1)
    return unknown_tnum(w), 0, (1 << w) - 1, -half, half - 1


def const_view(c: int, w: int) -> View:
    c &= (1 << w) - 1
    s = c - (1 << w) if c >> (w - 1) else c
    return new_tnum(c, 0), c, c, s, s


def _fit(t: Tnum, w: int) -> Tnum:
    return t if w == 64 else new_tnum(t.value & 0xFFFF_FFFF, t.mask & 0xFFFF_FFFF)


def _wrap_u(lo: int, hi: int, w: int) -> tuple[int, int]:
    """The unsigned ``w``-bit hull of the integers ``[lo, hi]`` taken modulo ``2**w``."""
    block = lo >> w
    if block == hi >> w:
        base = block << w
        return lo - base, hi - base
    return 0, (1 << w) - 1


def _wrap_s(lo: int, hi: int, w: int) -> tuple[int, int]:
    """The signed ``w``-bit hull of the integers ``[lo, hi]`` taken modulo ``2**w``."""
    half = 1 << (w - 1)
    block = (lo + half) >> w
    if block == (hi + half) >> w:
        base = block << w
        return lo - base, hi - base
    return -half, half - 1


def _tdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


# ------------------------------------------------------------------- arithmetic
def add(a: View, b: View, w: int) -> View:
    ulo, uhi = _wrap_u(a[1] + b[1], a[2] + b[2], w)
    slo, shi = _wrap_s(a[3] + b[3], a[4] + b[4], w)
    return _fit(a[0].add(b[0]), w), ulo, uhi, slo, shi


def sub(a: View, b: View, w: int) -> View:
    ulo, uhi = _wrap_u(a[1] - b[2], a[2] - b[1], w)
    slo, shi = _wrap_s(a[3] - b[4], a[4] - b[3], w)
    return _fit(a[0].sub(b[0]), w), ulo, uhi, slo, shi


def neg(a: View, _b: View, w: int) -> View:
    ulo, uhi = _wrap_u(-a[2], -a[1], w)
    slo, shi = _wrap_s(-a[4], -a[3], w)
    return _fit(a[0].neg(), w), ulo, uhi, slo, shi


def mul(a: View, b: View, w: int) -> View:
    ulo, uhi = _wrap_u(a[1] * b[1], a[2] * b[2], w)
    c1, c2, c3, c4 = a[3] * b[3], a[3] * b[4], a[4] * b[3], a[4] * b[4]
    slo, shi = _wrap_s(min(c1, c2, c3, c4), max(c1, c2, c3, c4), w)
    return _fit(a[0].mul(b[0]), w), ulo, uhi, slo, shi


def div(a: View, b: View, w: int) -> View:
    """Unsigned division; ``x / 0`` is 0."""
    if b[2] == 0:
        return const_view(0, w)
    if b[1] == b[2] and b[1] & (b[1] - 1) == 0:  # by a power of two: a shift
        return rsh(a, const_view(b[1].bit_length() - 1, w), w)
    hi = a[2] if b[1] == 0 else a[2] // b[1]
    lo = 0 if b[1] == 0 else a[1] // b[2]
    half = 1 << (w - 1)
    return unknown_tnum(w), lo, hi, -half, half - 1


def mod(a: View, b: View, w: int) -> View:
    """Unsigned remainder; ``x % 0`` is ``x``."""
    if b[2] == 0 or a[2] < b[1]:  # always by zero, or the dividend is always smaller
        return a
    if b[1] == b[2] and b[1] & (b[1] - 1) == 0:  # by a power of two: a mask
        return and_(a, const_view(b[1] - 1, w), w)
    hi = a[2] if b[1] == 0 else min(a[2], b[2] - 1)
    half = 1 << (w - 1)
    return unknown_tnum(w), 0, hi, -half, half - 1


def sdiv(a: View, b: View, w: int) -> View:
    """Signed division truncating toward zero; ``x / 0`` is 0, ``MIN / -1`` is ``MIN``."""
    half = 1 << (w - 1)
    if b[3] == b[4]:
        c = b[3]
        if c == 0:
            return const_view(0, w)
        if c == -1:
            return neg(a, b, w)
        lo, hi = (_tdiv(a[3], c), _tdiv(a[4], c)) if c > 0 else (_tdiv(a[4], c), _tdiv(a[3], c))
    elif a[3] >= 0 and b[3] >= 1:
        lo, hi = a[3] // b[4], a[4] // b[3]
    else:
        m = max(-a[3], a[4])
        lo, hi = max(-m, -half), min(m, half - 1)
    return unknown_tnum(w), 0, (1 << w) - 1, lo, hi


def smod(a: View, b: View, w: int) -> View:
    """Signed remainder (sign of the dividend, ``|r| <= |x|``); ``x % 0`` is ``x``."""
    if b[3] == b[4] == 0:
        return a
    lo, hi = a[3], a[4]
    if b[3] > 0 or b[4] < 0:  # the divisor is never zero: |r| < |d|
        small, large = sorted((abs(b[3]), abs(b[4])))
        if -small < lo and hi < small:  # |x| < |d| always: the identity
            return a
        lo, hi = max(lo, 1 - large), min(hi, large - 1)
    # otherwise the divisor may be zero: the result may be x itself
    lo, hi = min(lo, 0), max(hi, 0)
    if a[3] >= 0:
        lo = 0
    if a[4] <= 0:
        hi = 0
    return unknown_tnum(w), 0, (1 << w) - 1, lo, hi


# ---------------------------------------------------------------------- bitwise
def and_(a: View, b: View, w: int) -> View:
    half = 1 << (w - 1)
    slo, shi = -half, half - 1
    if a[3] >= 0 or b[3] >= 0:  # a nonnegative operand bounds the result
        slo = 0
        shi = min(x[4] for x in (a, b) if x[3] >= 0)
    elif a[4] < 0 and b[4] < 0:  # both negative: so is the result, below both
        shi = min(a[4], b[4])
    return a[0].and_(b[0]), 0, min(a[2], b[2]), slo, shi


def or_(a: View, b: View, w: int) -> View:
    half = 1 << (w - 1)
    slo, shi = -half, half - 1
    if a[4] < 0 or b[4] < 0:  # a negative operand: the result is negative, above it
        shi = -1
        slo = max(x[3] for x in (a, b) if x[4] < 0)
    elif a[3] >= 0 and b[3] >= 0:
        slo = max(a[3], b[3])
    return a[0].or_(b[0]), max(a[1], b[1]), (1 << w) - 1, slo, shi


def xor(a: View, b: View, w: int) -> View:
    half = 1 << (w - 1)
    slo, shi = -half, half - 1
    a_pos, a_neg, b_pos, b_neg = a[3] >= 0, a[4] < 0, b[3] >= 0, b[4] < 0
    if (a_pos and b_pos) or (a_neg and b_neg):
        slo = 0
    elif (a_pos and b_neg) or (a_neg and b_pos):
        shi = -1
    return a[0].xor(b[0]), 0, (1 << w) - 1, slo, shi


# ----------------------------------------------------------------------- shifts
def _amounts(b: View, w: int) -> list[int]:
    """The possible shift amounts: ``src & (w - 1)``."""
    t = b[0].and_(Tnum(w - 1, 0))
    if b[2] < w:
        lo, hi = b[1], b[2]
    else:
        lo, hi = t.umin(), t.umax()
    if lo == hi:
        return [lo] if t.contains(lo) else []
    return [k for k in range(lo, hi + 1) if t.contains(k)]


def lsh(a: View, b: View, w: int) -> View:
    ks = _amounts(b, w)
    if not ks:
        return full_view(w)
    k0, k1 = ks[0], ks[-1]
    t = _fit(a[0].lshift(k0), w)
    for k in ks[1:]:
        t = t.union(_fit(a[0].lshift(k), w))
    ulo, uhi = _wrap_u(a[1] << k0, a[2] << k1, w)
    slo, shi = _wrap_s(min(a[3] << k0, a[3] << k1), max(a[4] << k0, a[4] << k1), w)
    return t, ulo, uhi, slo, shi


def rsh(a: View, b: View, w: int) -> View:
    ks = _amounts(b, w)
    if not ks:
        return full_view(w)
    k0, k1 = ks[0], ks[-1]
    t = a[0].rshift(k0)
    for k in ks[1:]:
        t = t.union(a[0].rshift(k))
    half = 1 << (w - 1)
    return t, a[1] >> k1, a[2] >> k0, -half, half - 1


def arsh(a: View, b: View, w: int) -> View:
    ks = _amounts(b, w)
    if not ks:
        return full_view(w)
    k0, k1 = ks[0], ks[-1]
    t = a[0].arshift(k0, w)
    for k in ks[1:]:
        t = t.union(a[0].arshift(k, w))
    slo = min(a[3] >> k0, a[3] >> k1)
    shi = max(a[4] >> k0, a[4] >> k1)
    return t, 0, (1 << w) - 1, slo, shi


def mov(_a: View, b: View, w: int) -> View:
    return b


TRANSFER: dict[int, Transfer] = {
    isa.BPF_ADD: add,
    isa.BPF_SUB: sub,
    isa.BPF_MUL: mul,
    isa.BPF_DIV: div,
    isa.BPF_OR: or_,
    isa.BPF_AND: and_,
    isa.BPF_LSH: lsh,
    isa.BPF_RSH: rsh,
    isa.BPF_NEG: neg,
    isa.BPF_MOD: mod,
    isa.BPF_XOR: xor,
    isa.BPF_MOV: mov,
    isa.BPF_ARSH: arsh,
    isa.BPF_DIV | 1: sdiv,
    isa.BPF_MOD | 1: smod,
}

# Operations whose low 32 result bits depend only on the low 32 bits of the operands, with
# the same function as the 32-bit operation: a 64-bit op computes its 32-bit bounds with it.
LOW_HALF_OPS = frozenset(
    {isa.BPF_ADD, isa.BPF_SUB, isa.BPF_MUL, isa.BPF_NEG, isa.BPF_AND, isa.BPF_OR, isa.BPF_XOR}
)


# ---------------------------------------------------------------- normalisation
def sext64(v: int) -> int:
    """An unsigned 64-bit value read as signed."""
    return v - (1 << 64) if v & _SIGN64 else v


def sext32(v: int) -> int:
    """The low 32 bits of ``v`` read as signed."""
    v &= U32
    return v - (1 << 32) if v & _SIGN32 else v


def _cross(ulo: int, uhi: int, slo: int, shi: int, w: int) -> tuple[int, int, int, int] | None:
    """Intersect an unsigned and a signed ``w``-bit range; both hulls of the result, or None."""
    if ulo > uhi or slo > shi:
        return None
    full = 1 << w
    if slo >= 0 or shi < 0:  # the signed range is one unsigned interval
        lo = max(ulo, slo % full)
        hi = min(uhi, shi % full)
        if lo > hi:
            return None
        half = full >> 1
        return lo, hi, (lo - full if lo >= half else lo), (hi - full if hi >= half else hi)
    low_part = ulo <= shi  # values in [0, shi]
    high_part = uhi >= slo + full  # values in [slo + full, full - 1]
    if low_part and high_part:
        return ulo, uhi, max(ulo, slo + full) - full, min(uhi, shi)
    if low_part:
        hi = min(uhi, shi)
        return ulo, hi, ulo, hi
    if high_part:
        lo = max(ulo, slo + full)
        return lo, uhi, lo - full, uhi - full
    return None


def _blocks(lo: int, hi: int, sub_lo: int, sub_hi: int) -> tuple[int, int]:
    """Tighten ``[lo, hi]`` knowing its low 32 bits are in ``[sub_lo, sub_hi]``."""
    r = lo & U32
    if r < sub_lo:
        lo += sub_lo - r
    elif r > sub_hi:
        lo += (1 << 32) - r + sub_lo
    r = hi & U32
    if r > sub_hi:
        hi -= r - sub_hi
    elif r < sub_lo:
        hi -= r + (1 << 32) - sub_hi
    return lo, hi


def normalise(
    v: int, m: int, umin: int, umax: int, smin: int, smax: int,
    u32min: int, u32max: int, s32min: int, s32max: int,
) -> Bounds | None:  # fmt: skip
    """Tighten every constraint by the others (the known bits ``(v, m)``, the unsigned and
    signed 64-bit ranges, the unsigned and signed ranges of the low halves); the tightened
    ten, or None if they admit no value."""
    if v > umin:
        umin = v
    if v | m < umax:
        umax = v | m
    if umax <= U32 or (smin >= 0 and smax <= U32):
        return _normalise_low(v, m, umin, umax, smin, smax, u32min, u32max, s32min, s32max)
    return _normalise_wide(v, m, umin, umax, smin, smax, u32min, u32max, s32min, s32max)


def _normalise_low(
    v: int, m: int, umin: int, umax: int, smin: int, smax: int,
    u32min: int, u32max: int, s32min: int, s32max: int,
) -> Bounds | None:  # fmt: skip
    """:func:`normalise` when every value is below 2**32: the value is its own low half, and
    the unsigned, signed and u32 ranges are one."""
    if v >> 32:
        return None
    m &= U32
    lo = umin if umin > smin else smin
    if u32min > lo:
        lo = u32min
    hi = umax if umax < smax else smax
    if u32max < hi:
        hi = u32max
    for _ in range(3):
        t = sext32(v | (m & _SIGN32))
        if t > s32min:
            s32min = t
        t = sext32(v | (m & S32_MAX))
        if t < s32max:
            s32max = t
        r = _cross(lo, hi, s32min, s32max, 32)
        if r is None:
            return None
        lo, hi, s32min, s32max = r
        delta = (1 << (lo ^ hi).bit_length()) - 1
        rv = lo & ~delta
        if (v ^ rv) & ~(m | delta):
            return None
        m &= delta
        v = (v | rv) & ~m
        if v <= lo and v | m >= hi:
            break
        if v > lo:
            lo = v
        if v | m < hi:
            hi = v | m
        if lo > hi:
            return None
    return v, m, lo, hi, lo, hi, lo, hi, s32min, s32max


def _normalise_wide(
    v: int, m: int, umin: int, umax: int, smin: int, smax: int,
    u32min: int, u32max: int, s32min: int, s32max: int,
) -> Bounds | None:  # fmt: skip
    """:func:`normalise` in general."""
    h = 1 << 31
    for _ in range(3):
        # known bits -> bounds
        if v > umin:
            umin = v
        if v | m < umax:
            umax = v | m
        t = sext64(v | (m & _SIGN64))
        if t > smin:
            smin = t
        t = sext64(v | (m & S64_MAX))
        if t < smax:
            smax = t
        v32, m32 = v & U32, m & U32
        if v32 > u32min:
            u32min = v32
        if v32 | m32 < u32max:
            u32max = v32 | m32
        t = sext32(v32 | (m32 & _SIGN32))
        if t > s32min:
            s32min = t
        t = sext32(v32 | (m32 & S32_MAX))
        if t < s32max:
            s32max = t
        # unsigned <-> signed
        r = _cross(umin, umax, smin, smax, 64)
        if r is None:
            return None
        umin, umax, smin, smax = r
        # 64 -> 32: a range within one 2**32 block bounds its low halves
        for lo, hi in ((umin, umax), (smin, smax)):
            if lo >> 32 == hi >> 32:
                if lo & U32 > u32min:
                    u32min = lo & U32
                if hi & U32 < u32max:
                    u32max = hi & U32
            if (lo + h) >> 32 == (hi + h) >> 32:
                if sext32(lo) > s32min:
                    s32min = sext32(lo)
                if sext32(hi) < s32max:
                    s32max = sext32(hi)
        r32 = _cross(u32min, u32max, s32min, s32max, 32)
        if r32 is None:
            return None
        u32min, u32max, s32min, s32max = r32
        # 32 -> 64: move the edges to the nearest value with admissible low halves
        edges = (umin, umax, smin, smax)
        umin, umax = _blocks(umin, umax, u32min, u32max)
        smin, smax = _blocks(smin, smax, u32min, u32max)
        lo, hi = _blocks(umin + h, umax + h, s32min + h, s32max + h)
        umin, umax = lo - h, hi - h
        lo, hi = _blocks(smin + h, smax + h, s32min + h, s32max + h)
        smin, smax = lo - h, hi - h
        if umin > umax or smin > smax:
            return None
        again = edges != (umin, umax, smin, smax)
        if again:
            r = _cross(umin, umax, smin, smax, 64)
            if r is None:
                return None
            umin, umax, smin, smax = r
        # bounds -> known bits
        delta = (1 << (umin ^ umax).bit_length()) - 1
        rv = umin & ~delta
        if (v ^ rv) & ~(m | delta):
            return None
        m &= delta
        v = (v | rv) & ~m
        delta = (1 << (u32min ^ u32max).bit_length()) - 1
        rv = u32min & ~delta
        if (v ^ rv) & ~(m | delta) & U32:
            return None
        m = (m & UPPER32) | (m & delta)
        v = (v | rv) & ~m
        # another round only if the edges moved or the known bits now bound the values
        x = v | m
        if not (again or v > umin or x < umax or v & U32 > u32min or x & U32 < u32max):
            break
    return v, m, umin, umax, smin, smax, u32min, u32max, s32min, s32max
