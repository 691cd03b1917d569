"""Branch conditions on one width view of two scalars: known outcomes and refinement.

Works on the :data:`~chamelio.verify.scalar_alu.View` tuples of ``dst`` and ``src`` (the
full 64-bit values for ``JMP``, the low halves for ``JMP32``). Every jump condition, taken or
not, is one of eight relations ``rel(a, b)`` (``a``/``b`` being ``dst``/``src``, or swapped):
``==``, ``!=``, unsigned ``<``/``<=``, signed ``<``/``<=``, ``a & b != 0`` and its negation.
"""

from __future__ import annotations

from typing import Final

from chamelio.ebpf import isa
from chamelio.verify.scalar_alu import View
from chamelio.verify.tnum import Tnum

EQ: Final = 0
NE: Final = 1
ULT: Final = 2
ULE: Final = 3
SLT: Final = 4
SLE: Final = 5
SET: Final = 6
NSET: Final = 7

# (jump op, taken) -> (relation, swapped): the condition is rel(dst, src), or rel(src, dst)
RELATION: Final[dict[tuple[int, bool], tuple[int, bool]]] = {
    (isa.BPF_JEQ, True): (EQ, False), (isa.BPF_JEQ, False): (NE, False),
    (isa.BPF_JNE, True): (NE, False), (isa.BPF_JNE, False): (EQ, False),
    (isa.BPF_JLT, True): (ULT, False), (isa.BPF_JLT, False): (ULE, True),
    (isa.BPF_JLE, True): (ULE, False), (isa.BPF_JLE, False): (ULT, True),
    (isa.BPF_JGT, True): (ULT, True), (isa.BPF_JGT, False): (ULE, False),
    (isa.BPF_JGE, True): (ULE, True), (isa.BPF_JGE, False): (ULT, False),
    (isa.BPF_JSLT, True): (SLT, False), (isa.BPF_JSLT, False): (SLE, True),
    (isa.BPF_JSLE, True): (SLE, False), (isa.BPF_JSLE, False): (SLT, True),
    (isa.BPF_JSGT, True): (SLT, True), (isa.BPF_JSGT, False): (SLE, False),
    (isa.BPF_JSGE, True): (SLE, True), (isa.BPF_JSGE, False): (SLT, False),
    (isa.BPF_JSET, True): (SET, False), (isa.BPF_JSET, False): (NSET, False),
}  # fmt: skip


def _eq_outcome(a: View, b: View) -> bool | None:
    if a[1] == a[2] and b[1] == b[2]:
        return a[1] == b[1]
    if a[2] < b[1] or b[2] < a[1] or a[4] < b[3] or b[4] < a[3]:
        return False
    ta, tb = a[0], b[0]
    if (ta.value ^ tb.value) & ~(ta.mask | tb.mask):
        return False
    return None


def _set_outcome(a: View, b: View) -> bool | None:
    ta, tb = a[0], b[0]
    if ta.value & tb.value:
        return True
    if not (ta.value | ta.mask) & (tb.value | tb.mask):
        return False
    return None


def outcome(rel: int, a: View, b: View) -> bool | None:
    """Whether ``rel(a, b)`` holds for every pair (True), for none (False), or is unknown."""
    if rel == EQ:
        return _eq_outcome(a, b)
    if rel == NE:
        r = _eq_outcome(a, b)
        return None if r is None else not r
    if rel == ULT:
        return True if a[2] < b[1] else False if a[1] >= b[2] else None
    if rel == ULE:
        return True if a[2] <= b[1] else False if a[1] > b[2] else None
    if rel == SLT:
        return True if a[4] < b[3] else False if a[3] >= b[4] else None
    if rel == SLE:
        return True if a[4] <= b[3] else False if a[3] > b[4] else None
    r = _set_outcome(a, b)
    if rel == SET:
        return r
    return None if r is None else not r


def _exclude(a: View, b: View) -> View:
    """``a`` without the single value of ``b`` where it sits at an edge of a range."""
    t, ulo, uhi, slo, shi = a
    c, sc = b[1], b[3]
    if ulo == c:
        ulo += 1
    if uhi == c:
        uhi -= 1
    if slo == sc:
        slo += 1
    if shi == sc:
        shi -= 1
    return t, ulo, uhi, slo, shi


def _with_tnum(a: View, t: Tnum | None) -> View | None:
    if t is None:
        return None
    return t, a[1], a[2], a[3], a[4]


def refine(rel: int, a: View, b: View, w: int) -> tuple[View, View] | None:
    """``a`` and ``b`` narrowed to the pairs satisfying ``rel(a, b)``; None when no pair can.
    The result is not normalised (its ranges may be empty: the caller checks)."""
    if rel == EQ:
        t = a[0].intersect(b[0])
        if t is None:
            return None
        v = (t, max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]), min(a[4], b[4]))
        return v, v
    if rel == NE:
        a_const, b_const = a[1] == a[2], b[1] == b[2]
        if a_const and b_const:
            return None if a[1] == b[1] else (a, b)
        if b_const:
            return _exclude(a, b), b
        if a_const:
            return a, _exclude(b, a)
        return a, b
    if rel == ULT:
        return (a[0], a[1], min(a[2], b[2] - 1), a[3], a[4]), (
            b[0], max(b[1], a[1] + 1), b[2], b[3], b[4])  # fmt: skip
    if rel == ULE:
        return (a[0], a[1], min(a[2], b[2]), a[3], a[4]), (
            b[0], max(b[1], a[1]), b[2], b[3], b[4])  # fmt: skip
    if rel == SLT:
        return (a[0], a[1], a[2], a[3], min(a[4], b[4] - 1)), (
            b[0], b[1], b[2], max(b[3], a[3] + 1), b[4])  # fmt: skip
    if rel == SLE:
        return (a[0], a[1], a[2], a[3], min(a[4], b[4])), (
            b[0], b[1], b[2], max(b[3], a[3]), b[4])  # fmt: skip
    full = (1 << w) - 1
    ta, tb = a[0], b[0]
    if rel == SET:
        common = (ta.value | ta.mask) & (tb.value | tb.mask)
        if not common:
            return None
        if common & (common - 1):  # several bits may be shared: nothing learned
            return a, b
        one = Tnum(common, full ^ common)  # the only shareable bit is set in both
        ra, rb = _with_tnum(a, ta.intersect(one)), _with_tnum(b, tb.intersect(one))
    else:  # NSET: no bit set in both; a bit known set in one is clear in the other
        if ta.value & tb.value:
            return None
        ra = _with_tnum(a, ta.intersect(Tnum(0, full ^ tb.value)))
        rb = _with_tnum(b, tb.intersect(Tnum(0, full ^ ta.value)))
    if ra is None or rb is None:
        return None
    return ra, rb
