"""``u8 .. i64``: operators against the independent model, typing rules, Python protocol."""

from __future__ import annotations

import itertools
import operator
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chamelio.errors import ChamelioError
from chamelio.lang import LangTypeError, i8, i16, i32, i64, u8, u16, u32, u64
from chamelio.lang import types as lt
from chamelio.lang.runtime.ints import INT_CLASSES, LangInt
from tests.lang.int_oracle import OPS, RAW, TYPES, binary_cases, c, edges, oracle

CLASSES = {(cls._bits, cls._signed): cls for cls in (u8, u16, u32, u64, i8, i16, i32, i64)}
PYOPS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv,
    "%": operator.mod, "<<": operator.lshift, ">>": operator.rshift, "&": operator.and_,
    "|": operator.or_, "^": operator.xor,
}
CMPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
        ">": operator.gt, ">=": operator.ge}


def test_classes_match_the_type_model() -> None:
    assert set(INT_CLASSES) == {lt.U8, lt.U16, lt.U32, lt.U64, lt.I8, lt.I16, lt.I32, lt.I64}
    for (bits, signed), cls in CLASSES.items():
        assert cls.__lang_type__ == lt.IntType(bits, signed)
        assert lt.type_of_annotation(cls) == lt.IntType(bits, signed)
        assert cls.__name__ == cls.__lang_type__.name


@pytest.mark.parametrize(("bits", "signed"), TYPES)
def test_every_operator_on_edge_pairs(bits: int, signed: bool) -> None:
    cls = CLASSES[bits, signed]
    vs = edges(bits, signed)
    for op, a, b in itertools.product(OPS, vs, vs):
        want = oracle(op, a, b, bits, signed)
        for got in (PYOPS[op](cls(a), cls(b)), PYOPS[op](cls(a), b), PYOPS[op](a, cls(b))):
            assert type(got) is cls, (op, a, b)
            assert int(got) == want, (op, a, b)


@settings(max_examples=1000, deadline=None)
@given(case=binary_cases())
def test_every_operator_random(case: tuple[tuple[int, bool], str, int, int]) -> None:
    (bits, signed), op, a, b = case
    cls = CLASSES[bits, signed]
    got = PYOPS[op](cls(a), cls(b))
    assert type(got) is cls
    assert int(got) == oracle(op, a, b, bits, signed)
    for name, fn in CMPS.items():
        r = fn(cls(a), cls(b))
        assert type(r) is bool
        assert r == fn(a, b), name


@settings(max_examples=300, deadline=None)
@given(t=st.sampled_from(TYPES), raw=RAW)
def test_unary_and_augmented(t: tuple[int, bool], raw: int) -> None:
    cls = CLASSES[t]
    x = cls(raw)
    assert int(x) == c(raw, *t)
    assert -x == cls(c(-int(x), *t)) and type(-x) is cls
    assert ~x == cls(c(~int(x), *t)) and type(~x) is cls
    assert +x is x
    y = x
    y += 1
    assert y == cls(c(int(x) + 1, *t)) and type(y) is cls
    y <<= t[0] + 1  # masked to 1
    assert y == cls(c((int(x) + 1) * 2, *t))


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(TYPES, TYPES)))
def test_casts_between_types(src: tuple[int, bool], dst: tuple[int, bool]) -> None:
    for v in edges(*src):
        got = CLASSES[dst](CLASSES[src](v))
        assert type(got) is CLASSES[dst] and int(got) == c(v, *dst)


def test_construction_wraps_and_rejects_non_integers() -> None:
    assert u8(256) == 0 and u8(-1) == 255 and i8(128) == -128 and u32(2**40 + 5) == 5
    assert u8(True) == 1 and u8() == 0
    for bad in ("1", 1.5, b"\x01", None, [1]):
        with pytest.raises(LangTypeError, match="cannot convert"):
            u8(bad)


def test_mixed_types_are_an_error_with_the_cast_hint() -> None:
    with pytest.raises(LangTypeError) as e:
        u32(1) + u64(2)
    assert "u32 and u64" in e.value.message and "u64(x)" in (e.value.hint or "")
    with pytest.raises(LangTypeError):
        u8(1) < i8(1)  # noqa: B015
    with pytest.raises(LangTypeError):
        u8(1) == u16(1)  # noqa: B015
    with pytest.raises(LangTypeError, match="bool"):
        u8(1) + True
    # the same message the compiler gets from the shared rules
    try:
        lt.check_binop("+", lt.U32, lt.U64)
    except LangTypeError as shared:
        assert str(shared) == str(e.value)


def test_literals_take_the_type_and_must_fit() -> None:
    assert u8(1) + 254 == u8(255)
    assert 300 - u16(1) == u16(299)
    with pytest.raises(LangTypeError, match=r"literal 300 does not fit in u8 \(0\.\.255\)") as e:
        u8(1) + 300
    assert "u8(300)" in (e.value.hint or "")
    with pytest.raises(LangTypeError, match="literal -1 does not fit in u32"):
        u32(5) > -1  # noqa: B015
    assert i8(-5) < -1
    with pytest.raises(LangTypeError):
        u8(1) << 256


def test_unsupported_operators_point_to_the_right_one() -> None:
    with pytest.raises(LangTypeError, match="'/'") as e:
        u32(7) / 2
    assert "'//'" in (e.value.hint or "")
    with pytest.raises(LangTypeError):
        7 / u32(2)
    with pytest.raises(LangTypeError, match=r"\*\*"):
        u32(2) ** 3
    with pytest.raises(LangTypeError, match="divmod"):
        divmod(u32(7), 2)
    with pytest.raises(LangTypeError, match="abs"):
        abs(i32(-1))
    assert isinstance(LangTypeError("x"), ChamelioError)


def test_python_protocol() -> None:
    x = u8(4)
    assert repr(x) == "u8(4)" and str(x) == "4" and f"{x:#04x}" == "0x04"
    assert repr(i16(-3)) == "i16(-3)"
    table: dict[int, int] = {x: 1}
    assert hash(x) == hash(4) and table[4] == 1
    assert int(i64(-1)) == -1 and type(int(x)) is int
    assert [10, 20, 30, 40, 50][x] == 50 and bool(u8(0)) is False and bool(u8(2)) is True
    assert (x == None) is False  # noqa: E711
    assert (x == "4") is False
    assert pickle.loads(pickle.dumps(i32(-7))) == i32(-7)
    assert type(pickle.loads(pickle.dumps(i32(-7)))) is i32
    assert isinstance(x, LangInt) and isinstance(x, int)
    assert u64.from_bytes_le(b"\xff" * 8) == u64(2**64 - 1)
    assert i16(-2).to_bytes_le() == b"\xfe\xff"
