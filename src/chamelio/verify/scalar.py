"""The abstract scalar domain: known bits plus unsigned/signed bounds at 64 and 32 bits.

A :class:`Scalar` stands for the set of 64-bit values ``x`` that satisfy *all* of its
constraints at once: ``x`` is in the tnum ``var``, ``umin <= x <= umax`` unsigned,
``smin <= x <= smax`` signed, and the low 32 bits of ``x`` are within ``[u32min, u32max]``
unsigned and ``[s32min, s32max]`` signed. Every Scalar this module builds is *normalised*:
each constraint has been tightened by the others (as the kernel's ``reg_bounds_sync``).

The transfer functions (:func:`alu`, :func:`neg`, :func:`end`, :func:`movsx`) are sound
with respect to :mod:`chamelio.ebpf.alu`: the concrete result of any member inputs is a
member of the abstract result; 32-bit operations zero-extend. :func:`refine` narrows the
operands of a conditional jump to the pairs taking (or not taking) it; :func:`branch_taken`
tells a known outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from chamelio.ebpf import alu as ref
from chamelio.ebpf import isa
from chamelio.verify import scalar_branch as br
from chamelio.verify.scalar_alu import (
    LOW_HALF_OPS,
    S32_MAX,
    S32_MIN,
    S64_MAX,
    S64_MIN,
    TRANSFER,
    View,
    normalise,
    sext32,
    sext64,
)
from chamelio.verify.tnum import U32, U64, UPPER32, Tnum, new_tnum


@dataclass(frozen=True, slots=True)
class Scalar:
    """A set of 64-bit values (see the module docstring); build with the static methods."""

    var: Tnum  # known bits of the 64-bit value
    umin: int  # 0 <= umin <= umax < 2**64
    umax: int
    smin: int  # -2**63 <= smin <= smax < 2**63
    smax: int
    u32min: int  # of the low 32 bits
    u32max: int
    s32min: int
    s32max: int

    # ----------------------------------------------------------------- constructors
    @staticmethod
    def const(v: int) -> Scalar:
        """The single value ``v`` (taken modulo 2**64)."""
        v &= U64
        c = _CONSTS.get(v)
        if c is not None:
            return c
        if len(_CONSTS) >= 4096:
            _CONSTS.clear()
        s = sext64(v)
        lo = v & U32
        s32 = sext32(lo)
        c = _CONSTS[v] = _mk(new_tnum(v, 0), v, v, s, s, lo, lo, s32, s32)
        return c

    @staticmethod
    def unknown() -> Scalar:
        return UNKNOWN

    @staticmethod
    def range(lo: int, hi: int) -> Scalar:
        """Every value of the unsigned range ``[lo, hi]`` (``0 <= lo <= hi < 2**64``)."""
        if not 0 <= lo <= hi <= U64:
            raise ValueError(f"not an unsigned 64-bit range: [{lo}, {hi}]")
        return _build(0, U64, lo, hi, S64_MIN, S64_MAX, 0, U32, S32_MIN, S32_MAX)

    @staticmethod
    def signed_range(lo: int, hi: int) -> Scalar:
        """Every value of the signed range ``[lo, hi]`` (``-2**63 <= lo <= hi < 2**63``)."""
        if not S64_MIN <= lo <= hi <= S64_MAX:
            raise ValueError(f"not a signed 64-bit range: [{lo}, {hi}]")
        return _build(0, U64, 0, U64, lo, hi, 0, U32, S32_MIN, S32_MAX)

    @staticmethod
    def from_tnum(t: Tnum) -> Scalar:
        """Every value of the tnum ``t``."""
        return _build(t.value, t.mask, 0, U64, S64_MIN, S64_MAX, 0, U32, S32_MIN, S32_MAX)

    @staticmethod
    def make(
        var: Tnum | None = None,
        umin: int = 0,
        umax: int = U64,
        smin: int = S64_MIN,
        smax: int = S64_MAX,
        u32min: int = 0,
        u32max: int = U32,
        s32min: int = S32_MIN,
        s32max: int = S32_MAX,
    ) -> Scalar | None:
        """The values satisfying every given constraint, normalised; None if there is none
        (constraints are clipped to their natural ranges first)."""
        v, m = (0, U64) if var is None else (var.value & U64, var.mask & U64 & ~var.value)
        return _norm(
            v, m, max(umin, 0), min(umax, U64), max(smin, S64_MIN), min(smax, S64_MAX),
            max(u32min, 0), min(u32max, U32), max(s32min, S32_MIN), min(s32max, S32_MAX),
        )  # fmt: skip

    # ----------------------------------------------------------------------- queries
    def is_const(self) -> bool:
        return self.var.mask == 0

    def const_value(self) -> int:
        """The value of a constant (its unsigned form); ValueError if it is not one."""
        if self.var.mask:
            raise ValueError(f"not a constant: {self}")
        return self.var.value

    def contains(self, v: int) -> bool:
        """Whether ``v`` (mod 2**64) is a possible value."""
        v &= U64
        if v & ~self.var.mask != self.var.value or not self.umin <= v <= self.umax:
            return False
        if not self.smin <= sext64(v) <= self.smax:
            return False
        lo = v & U32
        return self.u32min <= lo <= self.u32max and self.s32min <= sext32(lo) <= self.s32max

    def covers(self, other: Scalar) -> bool:
        """Whether every value of ``other`` is a value of ``self`` (sufficient check)."""
        return (
            self.umin <= other.umin
            and other.umax <= self.umax
            and self.smin <= other.smin
            and other.smax <= self.smax
            and self.u32min <= other.u32min
            and other.u32max <= self.u32max
            and self.s32min <= other.s32min
            and other.s32max <= self.s32max
            and self.var.covers(other.var)
        )

    def join(self, other: Scalar) -> Scalar:
        """An over-approximation of the values of both."""
        if self.covers(other):
            return self
        if other.covers(self):
            return other
        t = self.var.union(other.var)
        r = _norm(
            t.value, t.mask,
            min(self.umin, other.umin), max(self.umax, other.umax),
            min(self.smin, other.smin), max(self.smax, other.smax),
            min(self.u32min, other.u32min), max(self.u32max, other.u32max),
            min(self.s32min, other.s32min), max(self.s32max, other.s32max),
        )  # fmt: skip
        return UNKNOWN if r is None else r

    def meet(self, other: Scalar) -> Scalar | None:
        """The values of both (over-approximated); None when they surely share none."""
        t = self.var.intersect(other.var)
        if t is None:
            return None
        return _norm(
            t.value, t.mask,
            max(self.umin, other.umin), min(self.umax, other.umax),
            max(self.smin, other.smin), min(self.smax, other.smax),
            max(self.u32min, other.u32min), min(self.u32max, other.u32max),
            max(self.s32min, other.s32min), min(self.s32max, other.s32max),
        )  # fmt: skip

    # ------------------------------------------------------------------ width casts
    def cast(self, size: int) -> Scalar:
        """The low ``size`` bytes (1, 2, 4 or 8), zero-extended."""
        if size >= 8:
            return self
        if self.var.mask == 0:
            return Scalar.const(self.var.value & ((1 << (8 * size)) - 1))
        if size == 4:
            t = self.var.subreg()
            lo, hi = self.u32min, self.u32max
            return _build(t.value, t.mask, lo, hi, lo, hi, lo, hi, self.s32min, self.s32max)
        bits = 8 * size
        keep = (1 << bits) - 1
        t = self.var.cast(size)
        lo, hi = 0, keep
        for a, b in ((self.umin, self.umax), (self.smin, self.smax), (self.u32min, self.u32max)):
            if a >> bits == b >> bits:
                lo, hi = max(lo, a & keep), min(hi, b & keep)
        if lo > hi:  # only for an empty self
            lo, hi = 0, keep
        return _build(t.value, t.mask, lo, hi, lo, hi, lo, hi, S32_MIN, S32_MAX)

    def zext32(self) -> Scalar:
        """The low 32 bits, zero-extended (what a 32-bit ``mov`` writes)."""
        return self.cast(4)

    def __str__(self) -> str:
        if self.var.mask == 0:
            return str(sext64(self.var.value))
        parts = [
            f"{name}={getattr(self, name)}"
            for name, default in _DEFAULTS
            if getattr(self, name) != default
        ]
        if self.var.mask != U64:
            parts.append(f"var={self.var}")
        return f"scalar({','.join(parts)})"


# A frozen dataclass's __init__ sets each field through object.__setattr__, which is slow;
# the domain builds its (already normalised) results by writing the slots directly.
_new = object.__new__
(_set_var, _set_umin, _set_umax, _set_smin, _set_smax,
 _set_u32min, _set_u32max, _set_s32min, _set_s32max) = (
    Scalar.__dict__[f.name].__set__ for f in fields(Scalar))  # fmt: skip


def _mk(
    var: Tnum, umin: int, umax: int, smin: int, smax: int,
    u32min: int, u32max: int, s32min: int, s32max: int,
) -> Scalar:  # fmt: skip
    s = _new(Scalar)
    _set_var(s, var)
    _set_umin(s, umin)
    _set_umax(s, umax)
    _set_smin(s, smin)
    _set_smax(s, smax)
    _set_u32min(s, u32min)
    _set_u32max(s, u32max)
    _set_s32min(s, s32min)
    _set_s32max(s, s32max)
    return s


def _norm(
    v: int, m: int, umin: int, umax: int, smin: int, smax: int,
    u32min: int, u32max: int, s32min: int, s32max: int,
) -> Scalar | None:  # fmt: skip
    """The normalised Scalar of these constraints; None if they admit no value."""
    r = normalise(v, m, umin, umax, smin, smax, u32min, u32max, s32min, s32max)
    if r is None:
        return None
    v, m, umin, umax, smin, smax, u32min, u32max, s32min, s32max = r
    return _mk(new_tnum(v, m), umin, umax, smin, smax, u32min, u32max, s32min, s32max)


def _build(
    v: int, m: int, umin: int, umax: int, smin: int, smax: int,
    u32min: int, u32max: int, s32min: int, s32max: int,
) -> Scalar:  # fmt: skip
    """:func:`_norm` for constraints known to admit a value (unknown if not, to stay sound)."""
    r = _norm(v, m, umin, umax, smin, smax, u32min, u32max, s32min, s32max)
    return UNKNOWN if r is None else r


_CONSTS: dict[int, Scalar] = {}
_DEFAULTS = (
    ("umin", 0), ("umax", U64), ("smin", S64_MIN), ("smax", S64_MAX),
    ("u32min", 0), ("u32max", U32), ("s32min", S32_MIN), ("s32max", S32_MAX),
)  # fmt: skip
UNKNOWN = Scalar(Tnum(0, U64), 0, U64, S64_MIN, S64_MAX, 0, U32, S32_MIN, S32_MAX)
_FULL32 = (0, U32, S32_MIN, S32_MAX)


def _view64(s: Scalar) -> View:
    return s.var, s.umin, s.umax, s.smin, s.smax


def _view32(s: Scalar) -> View:
    return new_tnum(s.var.value & U32, s.var.mask & U32), s.u32min, s.u32max, s.s32min, s.s32max


def _from_view32(r: View) -> Scalar:
    """The zero-extended 64-bit scalar of a 32-bit result view."""
    t, ulo, uhi, slo, shi = r
    return _build(t.value, t.mask, ulo, uhi, ulo, uhi, ulo, uhi, slo, shi)


# ------------------------------------------------------------------------- ALU
def alu(op: int, dst: Scalar, src: Scalar, is64: bool) -> Scalar:
    """The value of ``dst`` after ``dst = dst <op> src`` (``op``: ``isa.BPF_ADD`` ...,
    ``BPF_DIV | 1`` / ``BPF_MOD | 1`` for the signed forms; for ``BPF_NEG`` ``src`` is
    ignored, for ``BPF_MOV`` ``dst`` is). 32-bit operations zero-extend their result."""
    if op == isa.BPF_MOV:
        return src if is64 else src.zext32()
    transfer = TRANSFER.get(op)
    if transfer is None:
        raise ValueError(f"not an ALU operation: {op:#x}")
    if dst.var.mask == 0 and src.var.mask == 0:
        table = ref.ALU64 if is64 else ref.ALU32
        return Scalar.const(table[op](dst.var.value, src.var.value))
    if not is64:
        return _from_view32(transfer(_view32(dst), _view32(src), 32))
    t, ulo, uhi, slo, shi = transfer(_view64(dst), _view64(src), 64)
    low = _FULL32
    if uhi > U32 and (op in LOW_HALF_OPS or (op == isa.BPF_LSH and src.umax < 32)):
        low = transfer(_view32(dst), _view32(src), 32)[1:]
    return _build(t.value, t.mask, ulo, uhi, slo, shi, *low)


def neg(dst: Scalar, is64: bool) -> Scalar:
    """``dst = -dst``."""
    return alu(isa.BPF_NEG, dst, ZERO, is64)


def end(cls: int, source: int, width: int, value: Scalar) -> Scalar:
    """``BPF_END`` as :func:`chamelio.ebpf.alu.end`: to-LE with ``BPF_ALU`` truncates to
    ``width`` bits (16, 32, 64), to-BE and the ALU64 ``bswap`` byte-swap them."""
    low = value.cast(width // 8)
    if cls == isa.BPF_ALU and source == isa.BPF_TO_LE:
        return low
    if low.var.mask == 0:
        return Scalar.const(ref.bswap(low.var.value, width))
    return Scalar.from_tnum(low.var.bswap(width))


def movsx(src: Scalar, bits: int, is64: bool) -> Scalar:
    """``movsx``: ``src``'s low ``bits`` (8, 16, 32) sign-extended to the operation width
    (then zero-extended to 64 bits for the 32-bit form)."""
    low = src.cast(bits // 8)
    half = 1 << (bits - 1)
    if low.umax < half:  # nonnegative: sign extension changes nothing
        r = low
    else:
        t = low.var.sext(bits)
        if low.umin >= half:
            lo, hi = low.umin - (1 << bits), low.umax - (1 << bits)
        else:
            lo, hi = -half, half - 1
        r = _build(t.value, t.mask, 0, U64, lo, hi, 0, U32, S32_MIN, S32_MAX)
    return r if is64 else r.zext32()


_LOADS: dict[tuple[int, bool], Scalar] = {}


def load_result(size: int, signed: bool = False) -> Scalar:
    """What a load of ``size`` bytes (1, 2, 4, 8) of unknown memory gives: zero-extended,
    or sign-extended to 64 bits for ``ldsx`` (``signed``)."""
    key = (size, signed)
    r = _LOADS.get(key)
    if r is None:
        bits = 8 * size
        if size >= 8:
            r = UNKNOWN
        elif signed:
            r = Scalar.signed_range(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
        else:
            r = Scalar.range(0, (1 << bits) - 1)
        _LOADS[key] = r
    return r


# --------------------------------------------------------------------- branches
def branch_taken(op: int, dst: Scalar, src: Scalar, is64: bool) -> bool | None:
    """Whether the conditional jump ``op`` (``isa.BPF_JEQ`` ...) is always (True) or never
    (False) taken for these operands, or None when it may go either way; ``is64`` False is
    ``JMP32`` (the low halves are compared)."""
    rel, swapped = br.RELATION[(op, True)]
    a, b = (_view64(dst), _view64(src)) if is64 else (_view32(dst), _view32(src))
    return br.outcome(rel, b, a) if swapped else br.outcome(rel, a, b)


def _merge(orig: Scalar, r: View, is64: bool) -> Scalar | None:
    t, ulo, uhi, slo, shi = r
    if ulo > uhi or slo > shi:
        return None
    if is64:
        return _norm(
            t.value, t.mask, ulo, uhi, slo, shi,
            orig.u32min, orig.u32max, orig.s32min, orig.s32max,
        )  # fmt: skip
    return _norm(
        (orig.var.value & UPPER32) | t.value, (orig.var.mask & UPPER32) | t.mask,
        orig.umin, orig.umax, orig.smin, orig.smax, ulo, uhi, slo, shi,
    )  # fmt: skip


def refine(
    op: int, dst: Scalar, src: Scalar, is64: bool, taken: bool
) -> tuple[Scalar, Scalar] | None:
    """``(dst, src)`` narrowed to the pairs for which the conditional jump ``op`` is
    ``taken`` (or not); None when no pair is. ``is64`` False is ``JMP32``.

    Both outcomes can be None only for operands whose constraints admit no value at all
    (an over-approximation can hide that); the caller treats such a path as dead. When
    ``dst`` and ``src`` are the same register, either result is a sound new value for it."""
    rel, swapped = br.RELATION[(op, taken)]
    if is64:
        if rel == br.EQ:  # the same 64-bit value: every constraint of both holds
            both = dst.meet(src)
            return None if both is None else (both, both)
        a, b = _view64(dst), _view64(src)
    else:
        a, b = _view32(dst), _view32(src)
    if swapped:
        a, b = b, a
    r = br.refine(rel, a, b, 64 if is64 else 32)
    if r is None:
        return None
    ra, rb = (r[1], r[0]) if swapped else r
    if swapped:
        a, b = b, a
    new_dst = dst if ra == a else _merge(dst, ra, is64)
    new_src = src if rb == b else _merge(src, rb, is64)
    if new_dst is None or new_src is None:
        return None
    return new_dst, new_src


ZERO = Scalar.const(0)
