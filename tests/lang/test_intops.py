"""``chamelio.lang.intops`` against an independent model, at every width and signedness."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chamelio.lang import intops
from tests.lang.int_oracle import OPS, RAW, TYPES, binary_cases, c, edges, hi, lo, oracle


@pytest.mark.parametrize(("bits", "signed"), TYPES)
def test_every_op_on_all_edge_pairs(bits: int, signed: bool) -> None:
    vs = edges(bits, signed)
    for op, a, b in itertools.product(OPS, vs, vs):
        got = intops.binop(op, a, b, bits, signed)
        assert got == oracle(op, a, b, bits, signed), (op, a, b, bits, signed)
        assert lo(bits, signed) <= got <= hi(bits, signed)


@settings(max_examples=1500, deadline=None)
@given(case=binary_cases())
def test_every_op_random(case: tuple[tuple[int, bool], str, int, int]) -> None:
    (bits, signed), op, a, b = case
    assert intops.BINARY_OPS[op](a, b, bits, signed) == oracle(op, a, b, bits, signed)


@settings(max_examples=500, deadline=None)
@given(t=st.sampled_from(TYPES), a=RAW, raw=st.integers(-(2**130), 2**130) | RAW)
def test_unary_and_wrap(t: tuple[int, bool], a: int, raw: int) -> None:
    bits, signed = t
    a = c(a, bits, signed)
    assert intops.neg(a, bits, signed) == c(-a, bits, signed)
    assert intops.invert(a, bits, signed) == c(-a - 1, bits, signed)
    assert intops.unop("+", a, bits, signed) == a
    assert intops.wrap(raw, bits, signed) == c(raw, bits, signed)
    assert intops.fits(raw, bits, signed) == (lo(bits, signed) <= raw <= hi(bits, signed))


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(TYPES, TYPES)))
def test_casts_on_edges(src: tuple[int, bool], dst: tuple[int, bool]) -> None:
    for v in edges(*src):
        assert intops.cast(v, *dst) == c(v, *dst)
        if lo(*dst) <= v <= hi(*dst):  # a target that can hold the value keeps it
            assert intops.cast(v, *dst) == v
        if dst[0] >= src[0]:  # widening extends by the source's signedness
            assert intops.to_unsigned(intops.cast(v, *dst), src[0]) == intops.to_unsigned(v, src[0])
            high = intops.cast(v, *dst) >> src[0] if dst[0] > src[0] else None
            if high is not None:
                assert high in ((0,) if v >= 0 else (-1, 2 ** (dst[0] - src[0]) - 1))


@settings(max_examples=500, deadline=None)
@given(src=st.sampled_from(TYPES), dst=st.sampled_from(TYPES), raw=RAW)
def test_casts_random(src: tuple[int, bool], dst: tuple[int, bool], raw: int) -> None:
    v = c(raw, *src)
    assert intops.cast(v, *dst) == c(v, *dst)


@pytest.mark.parametrize(("bits", "signed"), TYPES)
def test_the_documented_rules(bits: int, signed: bool) -> None:
    mn, mx = lo(bits, signed), hi(bits, signed)
    for x in edges(bits, signed):
        assert intops.div(x, 0, bits, signed) == 0
        assert intops.mod(x, 0, bits, signed) == x
        assert intops.shl(x, bits, bits, signed) == x  # amount masked to 0
        assert intops.shr(x, bits + 1, bits, signed) == intops.shr(x, 1, bits, signed)
    assert intops.add(mx, 1, bits, signed) == mn
    assert intops.sub(mn, 1, bits, signed) == mx
    if signed:
        assert intops.div(mn, -1, bits, signed) == mn
        assert intops.mod(mn, -1, bits, signed) == 0
        assert intops.shr(-1, bits - 1, bits, signed) == -1  # arithmetic
        assert intops.neg(mn, bits, signed) == mn
    else:
        assert intops.shr(mx, bits - 1, bits, signed) == 1  # logical
        assert intops.neg(1, bits, signed) == mx


def test_signed_division_truncates_toward_zero() -> None:
    cases = [(-7, 2, -3, -1), (7, -2, -3, 1), (-7, -2, 3, -1), (7, 2, 3, 1), (-1, 5, 0, -1)]
    for a, b, q, r in cases:
        assert intops.div(a, b, 32, True) == q
        assert intops.mod(a, b, 32, True) == r
    # unsigned: operands are bit patterns
    assert intops.div(-7, 2, 32, False) == (2**32 - 7) // 2
    assert intops.mod(-7, 2, 32, False) == 1


def test_shift_amount_is_masked_not_reduced() -> None:
    assert intops.shift_amount(-1, 32) == 31
    assert intops.shl(1, 33, 32) == 2
    assert intops.shl(1, 64, 64) == 1
    assert intops.shr(0x80, 7 + 8, 8, False) == 1


def test_compare_reads_values_in_the_type() -> None:
    assert intops.compare("<", -1, 0, 32, True)
    assert not intops.compare("<", -1, 0, 32, False)  # 0xFFFFFFFF > 0
    assert intops.compare("==", 2**32 + 5, 5, 32, False)
    for op in intops.COMPARE_OPS:
        assert intops.compare(op, 3, 3, 8, False) == (op in ("==", "<=", ">="))


def test_bswap() -> None:
    assert intops.bswap(0x1234, 16) == 0x3412
    assert intops.bswap(-1, 32) == 0xFFFFFFFF
    assert intops.bswap(0x0102030405060708, 64) == 0x0807060504030201
