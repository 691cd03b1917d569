"""Hypothesis strategies for the abstract scalar domain: abstract values with members.

``scalar_with_members()`` draws a random, consistent :class:`Scalar` built around a witness
value, plus a few concrete members of it (the witness, its bounds when they are members,
random members of its tnum). ``small_scalar()`` draws a scalar with at most a few unknown
bits, so that *all* its members can be enumerated (for exhaustive checks).

``examples(n)``: the example count of a test, scaled by ``CHAMELIO_DOMAIN_FUZZ_SCALE``
(default 1; e.g. 50 for a long hunt).
"""

from __future__ import annotations

import os

from hypothesis import strategies as st

from chamelio.verify.scalar import S32_MAX, S32_MIN, S64_MAX, S64_MIN, Scalar
from chamelio.verify.tnum import U32, U64, Tnum

SCALE = float(os.environ.get("CHAMELIO_DOMAIN_FUZZ_SCALE", "1"))


def examples(n: int) -> int:
    return max(1, int(n * SCALE))


EDGES = [
    0, 1, 2, 3, 7, 8, 15, 16, 127, 128, 255, 256, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
    0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, 0x1_8000_0000,
    0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF_0000_0000,
    0xFFFF_FFFF_8000_0000, 0xFFFF_FFFF_FFFF_FF00, U64 - 1, U64,
]  # fmt: skip

u64s = st.one_of(
    st.sampled_from(EDGES),
    st.tuples(st.sampled_from(EDGES), st.integers(-3, 3)).map(lambda t: (t[0] + t[1]) & U64),
    st.integers(0, 300),
    st.integers(-300, -1).map(lambda v: v & U64),
    st.integers(0, U64),
)

bit_positions = st.one_of(st.integers(0, 7), st.sampled_from([15, 31, 32, 63]), st.integers(0, 63))


@st.composite
def masks(draw: st.DrawFn) -> int:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return 0
    if kind == 1:
        return U64
    if kind == 2:  # contiguous low bits
        return (1 << draw(st.integers(1, 64))) - 1
    if kind == 3:  # contiguous bits inside
        lo = draw(st.integers(0, 63))
        hi = draw(st.integers(lo + 1, 64))
        return ((1 << hi) - 1) ^ ((1 << lo) - 1)
    if kind == 4:
        return draw(st.integers(0, U64))
    m = 0
    for b in draw(st.lists(bit_positions, max_size=6)):
        m |= 1 << b
    return m


_radius = st.one_of(
    st.just(None), st.just(0), st.integers(0, 16), st.integers(0, 1 << 16),
    st.integers(0, 1 << 33), st.integers(0, 1 << 64),
)  # fmt: skip


def _around(draw: st.DrawFn, x: int, lo: int, hi: int) -> tuple[int, int]:
    """A range within [lo, hi] holding x: full, or x with random radii."""
    below, above = draw(_radius), draw(_radius)
    return (
        lo if below is None else max(lo, x - below),
        hi if above is None else min(hi, x + above),
    )


def _sext(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


@st.composite
def scalar_around(draw: st.DrawFn, x: int, mask: int) -> Scalar:
    umin, umax = _around(draw, x, 0, U64)
    smin, smax = _around(draw, _sext(x, 64), S64_MIN, S64_MAX)
    u32min, u32max = _around(draw, x & U32, 0, U32)
    s32min, s32max = _around(draw, _sext(x, 32), S32_MIN, S32_MAX)
    s = Scalar.make(Tnum(x & ~mask, mask), umin, umax, smin, smax, u32min, u32max, s32min, s32max)
    assert s is not None and s.contains(x), (x, s)
    return s


@st.composite
def scalar_with_members(draw: st.DrawFn) -> tuple[Scalar, list[int]]:
    x = draw(u64s)
    s = draw(scalar_around(x, draw(masks())))
    cands = [s.umin, s.umax, s.smin & U64, s.smax & U64, s.var.value, s.var.value | s.var.mask]
    cands += [(x & ~U32) | s.u32min, (x & ~U32) | s.u32max, (x & ~U32) | (s.s32min & U32)]
    for r in draw(st.lists(st.integers(0, U64), min_size=2, max_size=4)):
        cands.append(s.var.value | (r & s.var.mask))
    members = [x, *sorted({c for c in cands if c != x and s.contains(c)})]
    return s, members[:6]


@st.composite
def small_scalar(draw: st.DrawFn) -> tuple[Scalar, list[int]]:
    """A scalar with at most 4 unknown bits, and the complete list of its members."""
    x = draw(u64s)
    mask = 0
    for b in draw(st.lists(bit_positions, max_size=4)):
        mask |= 1 << b
    s = draw(scalar_around(x, mask))
    members = [v for v in s.var.members() if s.contains(v)]
    assert x in members
    return s, members
