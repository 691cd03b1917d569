"""Branch refinement: every concrete pair taking (or not) a jump stays inside the refined
operands, None only when no pair can, and a known outcome is right. Exhaustive on scalars
whose members can all be enumerated; sampled on general ones."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chamelio.ebpf import alu as ref
from chamelio.ebpf import isa
from chamelio.verify.scalar import Scalar, alu, branch_taken, refine
from chamelio.verify.tnum import U32, U64, Tnum
from tests.verify.scalar_strategies import examples, scalar_with_members, small_scalar, u64s

JUMPS = sorted(isa.JMP_OPS)
Sample = tuple[Scalar, list[int]]


def _check(op: int, is64: bool, d: Sample, s: Sample) -> None:
    """Against the members listed (all of them for ``small_scalar``, a sample otherwise)."""
    (ad, xs), (as_, ys) = d, s
    cond = (ref.JMP64 if is64 else ref.JMP32)[op]
    outcomes = {(x, y): cond(x, y) for x in xs for y in ys}
    known = branch_taken(op, ad, as_, is64)
    if known is not None:
        assert all(o == known for o in outcomes.values()), (op, is64, ad, as_, known)
    for taken in (True, False):
        pairs = [p for p, o in outcomes.items() if o == taken]
        r = refine(op, ad, as_, is64, taken)
        if r is None:
            assert not pairs, (op, is64, taken, ad, as_, pairs[:3])
            continue
        assert known is None or known == taken, (op, is64, taken, ad, as_, known)
        nd, ns = r
        for x, y in pairs:
            assert nd.contains(x) and ns.contains(y), (op, is64, taken, ad, as_, x, y, nd, ns)


@settings(max_examples=examples(80), deadline=None)
@given(d=small_scalar(), s=small_scalar())
def test_refine_exhaustive(d: Sample, s: Sample) -> None:
    """Every jump at both widths, against all member pairs of scalars with few unknown bits:
    None (and a known outcome) only when no pair disagrees."""
    for op in JUMPS:
        for is64 in (True, False):
            _check(op, is64, d, s)


consts = u64s.map(lambda v: (Scalar.const(v), [v]))


@settings(max_examples=examples(150), deadline=None)
@given(d=scalar_with_members(), s=st.one_of(scalar_with_members(), consts))
def test_refine_sampled(d: Sample, s: Sample) -> None:
    """Every jump at both widths, on sampled members of random scalars."""
    for op in JUMPS:
        for is64 in (True, False):
            _check(op, is64, d, s)


# ----------------------------------------------------------------------- precision
def test_unsigned_compare_with_constant() -> None:
    u = Scalar.unknown()
    ten = Scalar.const(10)
    taken = refine(isa.BPF_JLT, u, ten, True, True)
    assert taken is not None and taken[0].umax == 9 and taken[1] == ten
    fall = refine(isa.BPF_JLT, u, ten, True, False)
    assert fall is not None and fall[0].umin == 10
    gt = refine(isa.BPF_JGT, u, ten, True, True)
    assert gt is not None and gt[0].umin == 11
    le = refine(isa.BPF_JGT, u, ten, True, False)
    assert le is not None and le[0].umax == 10
    assert refine(isa.BPF_JLT, u, Scalar.const(0), True, True) is None
    assert branch_taken(isa.BPF_JLT, u, Scalar.const(0), True) is False
    assert branch_taken(isa.BPF_JGE, u, Scalar.const(0), True) is True
    assert branch_taken(isa.BPF_JLT, u, ten, True) is None


def test_signed_compare() -> None:
    u = Scalar.unknown()
    r = refine(isa.BPF_JSGT, u, Scalar.const(-5), True, True)
    assert r is not None and r[0].smin == -4
    r = refine(isa.BPF_JSLT, u, Scalar.const(0), True, False)
    assert r is not None and r[0].smin == 0 and r[0].umax == (1 << 63) - 1
    r = refine(isa.BPF_JSLE, Scalar.range(0, 100), Scalar.const(50), True, True)
    assert r is not None and (r[0].umin, r[0].umax) == (0, 50)


def test_equality() -> None:
    u = Scalar.unknown()
    r = refine(isa.BPF_JEQ, u, Scalar.const(7), True, True)
    assert r is not None and r[0] == Scalar.const(7)
    r = refine(isa.BPF_JNE, Scalar.range(0, 7), Scalar.const(7), True, True)
    assert r is not None and r[0].umax == 6
    r = refine(isa.BPF_JEQ, Scalar.range(3, 5), Scalar.range(5, 9), True, True)
    assert r is not None and r[0] == r[1] == Scalar.const(5)
    assert refine(isa.BPF_JEQ, Scalar.range(0, 4), Scalar.range(5, 9), True, True) is None
    assert branch_taken(isa.BPF_JNE, Scalar.range(0, 4), Scalar.range(5, 9), True) is True
    assert branch_taken(isa.BPF_JEQ, Scalar.const(3), Scalar.const(3), True) is True
    # known bits disagree
    even = alu(isa.BPF_LSH, u, Scalar.const(1), True)
    assert branch_taken(isa.BPF_JEQ, even, Scalar.const(3), True) is False


def test_jset() -> None:
    u = Scalar.unknown()
    r = refine(isa.BPF_JSET, u, Scalar.const(0xF0), True, False)
    assert r is not None and r[0].var.mask == U64 ^ 0xF0 and r[0].var.value == 0
    r = refine(isa.BPF_JSET, u, Scalar.const(4), True, True)
    assert r is not None and r[0].var == Tnum(4, U64 ^ 4) and r[0].umin == 4
    low = Scalar.range(0, 0xF)
    assert branch_taken(isa.BPF_JSET, low, Scalar.const(0x10), True) is False
    assert refine(isa.BPF_JSET, low, Scalar.const(0x10), True, True) is None
    assert branch_taken(isa.BPF_JSET, Scalar.const(6), Scalar.const(2), True) is True


def test_jmp32_compares_low_halves() -> None:
    u = Scalar.unknown()
    r = refine(isa.BPF_JLT, u, Scalar.const(10), False, True)
    assert r is not None
    d = r[0]
    assert (d.u32min, d.u32max) == (0, 9) and d.umax == 0xFFFF_FFFF_0000_0009
    assert d.contains(0x5_0000_0003) and d.umin == 0
    # 64-bit facts survive a 32-bit test, and a 32-bit test narrows a 64-bit range
    small = Scalar.range(0, 0xFFFF)
    r = refine(isa.BPF_JGT, small, Scalar.const(0x100), False, True)
    assert r is not None and (r[0].umin, r[0].umax) == (0x101, 0xFFFF)
    r = refine(
        isa.BPF_JEQ, Scalar.range(0x1_0000_0000, 0x1_FFFF_FFFF), Scalar.const(5), False, True
    )
    assert r is not None and r[0] == Scalar.const(0x1_0000_0005)
    # the upper half does not matter to JMP32
    assert branch_taken(isa.BPF_JEQ, Scalar.const(0x7_0000_0001), Scalar.const(1), False) is True
    r = refine(isa.BPF_JSLT, u, Scalar.const(0), False, True)
    assert r is not None and r[0].s32max == -1 and r[0].u32min == 0x8000_0000
    assert refine(isa.BPF_JNE, Scalar.const(U32), Scalar.const(U64), False, True) is None


def test_refine_keeps_unrelated_operand() -> None:
    u = Scalar.unknown()
    r = refine(isa.BPF_JLT, u, u, True, True)
    assert r is not None
    assert r[0].umax == U64 - 1 and r[1].umin == 1
