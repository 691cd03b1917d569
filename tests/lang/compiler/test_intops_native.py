"""Every operator at every width and signedness, on edge values read at run time: native code
against :mod:`chamelio.lang.intops` (and the plain-Python run of the same source)."""

from __future__ import annotations

import pytest

from chamelio.lang import types as lt
from chamelio.lang.compiler import compile_native
from chamelio.lang.runtime.ints import INT_CLASSES
from tests.lang.compiler import opsgen


@pytest.fixture(scope="module", params=opsgen.TYPES, ids=lambda t: opsgen.tname(*t))
def compiled(request):
    bits, signed = request.param
    m = opsgen.ops_module(bits, signed)
    return bits, signed, m, compile_native(m.ops), compile_native(m.cmp), compile_native(m.casts)


def test_binary_and_unary_ops(compiled):
    bits, signed, m, ops, _, _ = compiled
    cls = INT_CLASSES[lt.IntType(bits, signed)]
    bad: list[tuple[object, ...]] = []
    for a, b in opsgen.pairs(bits, signed):
        for op in range(opsgen.INVERT + 1):
            want = opsgen.expected(op, a, b, bits, signed)
            got = ops(op, a, b)
            if int(got) != want or type(got) is not cls:
                bad.append((op, a, b, int(got), want))
            if op in (3, 4, 5) and int(m.ops(op, cls(a), cls(b))) != want:  # the runtime agrees
                bad.append(("python", op, a, b))
    assert not bad, bad[:10]


def test_comparisons(compiled):
    bits, signed, _, _, cmp, _ = compiled
    bad = [(op, a, b) for a, b in opsgen.pairs(bits, signed) for op in range(6)
           if cmp(op, a, b) is not opsgen.expected_cmp(op, a, b, bits, signed)]
    assert not bad, bad[:10]


def test_casts(compiled):
    bits, signed, _, _, _, casts = compiled
    bad = [(a, to) for a in opsgen.edge_values(bits, signed) for to in range(9)
           if int(casts(a, to)) != opsgen.cast_expected(a, to)]
    assert not bad, bad[:10]


def test_division_by_zero_never_traps():
    bits, signed = 64, True
    m = opsgen.ops_module(bits, signed)
    ops = compile_native(m.ops)
    assert int(ops(3, 7, 0)) == 0  # 7 // 0
    assert int(ops(4, 7, 0)) == 7  # 7 % 0
    assert int(ops(3, -(1 << 63), -1)) == -(1 << 63)  # MIN // -1
    assert int(ops(4, -(1 << 63), -1)) == 0
    assert int(ops(5, 1, 65)) == 2  # shift amounts are masked
