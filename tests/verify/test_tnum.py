"""Tnum arithmetic: every op is sound on every member pair (exhaustive on small tnums)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chamelio.ebpf import alu as ref
from chamelio.ebpf import isa
from chamelio.verify.tnum import U64, Tnum
from tests.verify.scalar_strategies import bit_positions, examples, u64s


@st.composite
def small_tnums(draw: st.DrawFn) -> Tnum:
    mask = 0
    for b in draw(st.lists(bit_positions, max_size=4)):
        mask |= 1 << b
    return Tnum(draw(u64s) & ~mask, mask)


BINARY: dict[str, tuple[Callable[[Tnum, Tnum], Tnum], Callable[[int, int], int]]] = {
    "add": (Tnum.add, ref.ALU64[isa.BPF_ADD]),
    "sub": (Tnum.sub, ref.ALU64[isa.BPF_SUB]),
    "mul": (Tnum.mul, ref.ALU64[isa.BPF_MUL]),
    "and": (Tnum.and_, ref.ALU64[isa.BPF_AND]),
    "or": (Tnum.or_, ref.ALU64[isa.BPF_OR]),
    "xor": (Tnum.xor, ref.ALU64[isa.BPF_XOR]),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=examples(100), deadline=None)
@given(a=small_tnums(), b=small_tnums())
def test_binary_ops_are_sound(name: str, a: Tnum, b: Tnum) -> None:
    op, conc = BINARY[name]
    r = op(a, b)
    assert r.value & r.mask == 0
    for x in a.members():
        for y in b.members():
            assert r.contains(conc(x, y)), (name, a, b, x, y, r)


@settings(max_examples=examples(120), deadline=None)
@given(a=small_tnums(), k=st.integers(0, 63), bits=st.sampled_from([32, 64]))
def test_shifts_neg_casts_are_sound(a: Tnum, k: int, bits: int) -> None:
    table = ref.ALU64 if bits == 64 else ref.ALU32
    wide = a if bits == 64 else a.cast(4)
    k %= bits
    for x in a.members():
        assert a.lshift(k).contains((x << k) & U64)
        assert a.rshift(k).contains(x >> k)
        assert wide.arshift(k, bits).contains(table[isa.BPF_ARSH](x, k))
        assert a.neg().contains(-x & U64)
        for size in (1, 2, 4, 8):
            assert a.cast(size).contains(x & ((1 << (8 * size)) - 1))
        for b in (8, 16, 32):
            assert a.sext(b).contains(ref.sext(x, b) & U64)
        for width in (16, 32, 64):
            assert a.bswap(width).contains(ref.bswap(x, width))
        assert a.subreg().contains(x & 0xFFFF_FFFF)
        assert a.clear_subreg().contains(x & ~0xFFFF_FFFF)


@settings(max_examples=examples(150), deadline=None)
@given(a=small_tnums(), b=small_tnums())
def test_lattice_and_bounds_are_exact(a: Tnum, b: Tnum) -> None:
    ma, mb = set(a.members()), set(b.members())
    both = ma & mb
    meet = a.intersect(b)
    assert (meet is None) == (not both)
    if meet is not None:
        assert set(meet.members()) == both
    union = a.union(b)
    assert all(union.contains(v) for v in ma | mb)
    assert union.covers(a) and union.covers(b)
    assert a.covers(b) == (mb <= ma)
    assert a.umin() == min(ma) and a.umax() == max(ma)
    signed = [ref.sext(v, 64) for v in ma]
    assert a.smin() == min(signed) and a.smax() == max(signed)
    assert all(a.contains(v) for v in ma)
    assert a.with_subreg(b).contains((a.value & ~0xFFFF_FFFF) | (b.value & 0xFFFF_FFFF))


@settings(max_examples=examples(150), deadline=None)
@given(lo=u64s, hi=u64s)
def test_range_holds_the_interval(lo: int, hi: int) -> None:
    lo, hi = min(lo, hi), max(lo, hi)
    t = Tnum.range(lo, hi)
    assert t.contains(lo) and t.contains(hi) and t.contains((lo + hi) // 2)
    assert t.umin() <= lo and hi <= t.umax()


def test_precision_examples() -> None:
    assert Tnum.range(0, 255) == Tnum(0, 0xFF)
    assert Tnum.range(7, 7) == Tnum.const(7)
    assert Tnum.const(3).add(Tnum.const(4)) == Tnum.const(7)
    assert Tnum.const(6).mul(Tnum.const(7)) == Tnum.const(42)
    assert Tnum.unknown().and_(Tnum.const(0xFF)) == Tnum(0, 0xFF)
    assert Tnum.unknown().lshift(3).value == 0 and Tnum.unknown().lshift(3).mask == U64 ^ 7
    # x * 4 for x in {0..3}: low two bits known zero
    assert Tnum(0, 3).mul(Tnum.const(4)) == Tnum(0, 0xC)
    assert Tnum.const(0x80).sext(8) == Tnum.const(U64 ^ 0x7F)
    assert Tnum(0x1234, 0).bswap(16) == Tnum.const(0x3412)
    assert Tnum(0x8000_0000, 0).arshift(4, 32) == Tnum.const(0xF800_0000)
    assert Tnum(0, 0xF).members() == list(range(16))
    assert str(Tnum(0, 0xFF)) == "(0x0; 0xff)"
