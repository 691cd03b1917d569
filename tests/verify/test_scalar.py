"""The scalar domain: ALU transfer functions are sound (checked against the reference
semantics of ``chamelio.ebpf.alu`` on members of random abstract values) and precise
where it matters (constants, masks, 32-bit zero-extension)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chamelio.ebpf import alu as ref
from chamelio.ebpf import isa
from chamelio.verify.scalar import (
    S32_MAX,
    S32_MIN,
    S64_MAX,
    S64_MIN,
    Scalar,
    alu,
    end,
    load_result,
    movsx,
    neg,
)
from chamelio.verify.tnum import U32, U64, Tnum
from tests.verify.scalar_strategies import examples, scalar_with_members, small_scalar, u64s

BINARY_OPS = [
    isa.BPF_ADD, isa.BPF_SUB, isa.BPF_MUL, isa.BPF_DIV, isa.BPF_DIV | 1, isa.BPF_MOD,
    isa.BPF_MOD | 1, isa.BPF_OR, isa.BPF_AND, isa.BPF_XOR, isa.BPF_LSH, isa.BPF_RSH,
    isa.BPF_ARSH, isa.BPF_MOV, isa.BPF_NEG,
]  # fmt: skip
OP_NAMES = {op: isa.ALU_OPS.get(op, "s" + isa.ALU_OPS[op & ~1]) for op in BINARY_OPS}

Sample = tuple[Scalar, list[int]]


def _check_binary(op: int, is64: bool, d: Sample, s: Sample) -> None:
    (ad, xs), (as_, ys) = d, s
    r = alu(op, ad, as_, is64)
    table = ref.ALU64 if is64 else ref.ALU32
    for x in xs:
        for y in ys:
            c = table[op](x, y)
            assert r.contains(c), (OP_NAMES[op], is64, ad, as_, x, y, c, r)


# Shift amounts are drawn small most of the time (else they are mostly out of range).
shift_sources = st.one_of(
    small_scalar(), scalar_with_members(),
    st.integers(0, 70).map(lambda k: (Scalar.const(k), [k])),
    st.tuples(st.integers(0, 63), st.integers(0, 63)).map(
        lambda t: (Scalar.range(min(t), max(t)), sorted({min(t), max(t), (t[0] + t[1]) // 2}))),
)  # fmt: skip


@settings(max_examples=examples(200), deadline=None)
@given(d=scalar_with_members(), s=st.one_of(scalar_with_members(), shift_sources))
def test_alu_is_sound(d: Sample, s: Sample) -> None:
    """Every operation at both widths, on sampled members of random scalars."""
    for op in BINARY_OPS:
        for is64 in (True, False):
            _check_binary(op, is64, d, s)


@settings(max_examples=examples(60), deadline=None)
@given(d=small_scalar(), s=st.one_of(small_scalar(), shift_sources))
def test_alu_is_sound_on_every_member(d: Sample, s: Sample) -> None:
    """Every operation at both widths, on all members of scalars with few unknown bits."""
    for op in BINARY_OPS:
        for is64 in (True, False):
            _check_binary(op, is64, d, s)


@settings(max_examples=examples(100), deadline=None)
@given(d=scalar_with_members(), bits=st.sampled_from([8, 16, 32]), is64=st.booleans())
def test_movsx_neg_are_sound(d: Sample, bits: int, is64: bool) -> None:
    a, xs = d
    cls = isa.BPF_ALU64 if is64 else isa.BPF_ALU
    r = movsx(a, bits, is64)
    n = neg(a, is64)
    for x in xs:
        assert r.contains(ref.movsx(cls, bits, x)), (a, x, bits, is64, r)
        assert n.contains((ref.ALU64 if is64 else ref.ALU32)[isa.BPF_NEG](x, 0))


@settings(max_examples=examples(100), deadline=None)
@given(d=scalar_with_members(), width=st.sampled_from([16, 32, 64]))
def test_end_and_cast_are_sound(d: Sample, width: int) -> None:
    a, xs = d
    for cls, source in ((isa.BPF_ALU, isa.BPF_TO_LE), (isa.BPF_ALU, isa.BPF_TO_BE),
                        (isa.BPF_ALU64, isa.BPF_TO_LE)):  # fmt: skip
        r = end(cls, source, width, a)
        for x in xs:
            assert r.contains(ref.end(cls, source, width, x)), (a, x, cls, source, width, r)
    for size in (1, 2, 4, 8):
        c = a.cast(size)
        assert all(c.contains(x & ((1 << (8 * size)) - 1)) for x in xs)


@settings(max_examples=examples(100), deadline=None)
@given(d=scalar_with_members(), e=scalar_with_members())
def test_join_meet_covers(d: Sample, e: Sample) -> None:
    (a, xs), (b, ys) = d, e
    j = a.join(b)
    assert j.covers(a) and j.covers(b)
    assert all(j.contains(v) for v in xs + ys)
    m = a.meet(b)
    common = [v for v in xs + ys if a.contains(v) and b.contains(v)]
    if m is None:
        assert not common
    else:
        assert all(m.contains(v) for v in common)
    if a.covers(b):
        assert all(a.contains(y) for y in ys)


@settings(max_examples=examples(150), deadline=None)
@given(
    x=u64s, mask=st.integers(0, 0x3F), shift=st.sampled_from([0, 28, 30, 31, 58]),
    bounds=st.lists(st.integers(-(1 << 64), 1 << 64), min_size=8, max_size=8),
)  # fmt: skip
def test_make_is_exact_about_emptiness(x: int, mask: int, shift: int, bounds: list[int]) -> None:
    """Random (often contradictory) constraints on a tnum of <= 6 unknown bits: ``make``
    keeps every value satisfying them all, and answers None only when there is none."""
    mask <<= shift
    t = Tnum(x & ~mask, mask)
    umin, umax, smin, smax, u32min, u32max, s32min, s32max = bounds
    s = Scalar.make(t, umin, umax, smin, smax, u32min, u32max, s32min, s32max)

    def ok(v: int) -> bool:
        lo, sv, s32 = v & U32, ref.sext(v, 64), ref.sext(v, 32)
        return (umin <= v <= umax and smin <= sv <= smax and u32min <= lo <= u32max
                and s32min <= s32 <= s32max)  # fmt: skip

    sat = [v for v in t.members() if ok(v)]
    if s is None:
        assert not sat
    else:
        assert all(s.contains(v) for v in sat)
        assert 0 <= s.umin <= s.umax <= U64 and S64_MIN <= s.smin <= s.smax <= S64_MAX
        assert 0 <= s.u32min <= s.u32max <= U32 and S32_MIN <= s.s32min <= s.s32max <= S32_MAX


# ----------------------------------------------------------------------- precision
@settings(max_examples=examples(100), deadline=None)
@given(x=u64s, y=u64s)
def test_constants_stay_constant(x: int, y: int) -> None:
    a, b = Scalar.const(x), Scalar.const(y)
    for op in BINARY_OPS:
        for is64, table in ((True, ref.ALU64), (False, ref.ALU32)):
            r = alu(op, a, b, is64)
            assert r.is_const() and r.const_value() == table[op](x, y), (op, is64)
    for bits in (8, 16, 32):
        assert movsx(a, bits, True) == Scalar.const(ref.movsx(isa.BPF_ALU64, bits, x))
    for width in (16, 32, 64):
        assert end(isa.BPF_ALU64, 0, width, a) == Scalar.const(ref.bswap(x, width))
    assert neg(a, True) == Scalar.const(-x)


def test_const_and_unknown() -> None:
    c = Scalar.const(-1)
    assert c.const_value() == U64 and c.smin == -1 and c.u32max == U32 and c.s32min == -1
    assert str(c) == "-1"
    u = Scalar.unknown()
    assert not u.is_const() and u.contains(0) and u.contains(U64)
    assert u.covers(c) and not c.covers(u)
    with pytest.raises(ValueError):
        u.const_value()
    with pytest.raises(ValueError):
        Scalar.range(5, 4)
    assert Scalar.range(7, 7) == Scalar.const(7)


def test_masks_and_ranges_are_tracked() -> None:
    u = Scalar.unknown()
    r = alu(isa.BPF_AND, u, Scalar.const(0xFF), True)
    assert (r.umin, r.umax, r.smin, r.smax) == (0, 255, 0, 255)
    assert r.var == Tnum(0, 0xFF)
    r = alu(isa.BPF_ADD, Scalar.range(5, 10), Scalar.const(3), True)
    assert (r.umin, r.umax) == (8, 13)
    r = alu(isa.BPF_MOD, u, Scalar.const(8), True)
    assert (r.umin, r.umax) == (0, 7)
    r = alu(isa.BPF_RSH, u, Scalar.const(56), True)
    assert r.umax == 255
    r = alu(isa.BPF_LSH, Scalar.range(0, 15), Scalar.const(2), True)
    assert r.umax == 60 and r.var == Tnum(0, 0x3C)
    r = alu(isa.BPF_MUL, Scalar.range(0, 100), Scalar.const(4), True)
    assert r.umax == 400
    r = alu(isa.BPF_DIV, Scalar.range(0, 1000), Scalar.range(10, 20), True)
    assert r.umax == 100
    r = alu(isa.BPF_ARSH, Scalar.signed_range(-64, 64), Scalar.const(3), True)
    assert (r.smin, r.smax) == (-8, 8)
    r = alu(isa.BPF_SUB, Scalar.range(10, 20), Scalar.range(0, 5), True)
    assert (r.umin, r.umax) == (5, 20)


def test_32bit_ops_zero_extend() -> None:
    u = Scalar.unknown()
    for op in BINARY_OPS:
        r = alu(op, u, Scalar.range(1, 3), False)
        assert r.umax <= U32 and r.var.mask >> 32 == 0 and r.var.value >> 32 == 0, op
        assert r.smin >= 0
    r = alu(isa.BPF_ADD, Scalar.const(0xFFFF_FFFF), Scalar.range(1, 2), False)
    assert (r.umin, r.umax) == (0, 1)
    r = alu(isa.BPF_ADD, Scalar.range(U64 - 10, U64), Scalar.const(1), True)
    assert (r.u32min, r.u32max) == (U32 - 9, U32) or r.contains(0)
    assert alu(isa.BPF_MOV, u, Scalar.const(-1), False) == Scalar.const(U32)
    assert u.zext32() == Scalar.range(0, U32)


def test_loads_and_sign_extension() -> None:
    assert load_result(1) == Scalar.range(0, 255)
    assert load_result(4).umax == U32
    assert load_result(8) == Scalar.unknown()
    b = load_result(1, signed=True)
    assert (b.smin, b.smax) == (-128, 127) and b.contains(U64) and not b.contains(128)
    w = load_result(4, signed=True)
    assert (w.smin, w.smax) == (S32_MIN, S32_MAX)
    assert load_result(8, signed=True) == Scalar.unknown()
    r = movsx(Scalar.range(0x80, 0xFF), 8, True)
    assert (r.smin, r.smax) == (-128, -1)
    r = movsx(Scalar.range(0x80, 0xFF), 8, False)
    assert (r.umin, r.umax) == (0xFFFF_FF80, U32)
    r = movsx(Scalar.range(0, 0x7F), 16, True)
    assert (r.umin, r.umax) == (0, 0x7F)
    assert end(isa.BPF_ALU, isa.BPF_TO_LE, 16, Scalar.unknown()) == Scalar.range(0, 0xFFFF)


def test_shift_pair_sign_extends_and_join_keeps_hull() -> None:
    w = load_result(4)  # a u32 field
    r = alu(isa.BPF_ARSH, alu(isa.BPF_LSH, w, Scalar.const(32), True), Scalar.const(32), True)
    assert (r.smin, r.smax) == (S32_MIN, S32_MAX)
    j = Scalar.const(1).join(Scalar.const(3))
    assert (j.umin, j.umax) == (1, 3) and j.var == Tnum(1, 2)
    assert j.join(Scalar.const(2)).umax == 3
    assert Scalar.range(0, 10).join(Scalar.range(2, 3)) == Scalar.range(0, 10)
    assert str(Scalar.range(0, 255)).startswith("scalar(umax=255")
