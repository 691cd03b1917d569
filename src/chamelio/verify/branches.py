"""Conditional jumps on pointers: null checks, packet bounds checks, same-region compares.

A comparison of a maybe-null pointer with 0 makes every copy (same ``id``) either the
number 0 or a valid pointer. A comparison of a packet pointer with ``data_end`` (or of
``data_meta`` with ``data``) teaches the packet range on the side where it holds, for every
pointer sharing the variable base; a side the known range rules out is not explored.
Comparisons that would reveal an address (a pointer against a number, pointers into
different regions) are rejected.
"""

from __future__ import annotations

from chamelio.ebpf import isa
from chamelio.ebpf.isa import Insn
from chamelio.verify.checks import Env, Unsafe
from chamelio.verify.scalar import Scalar, refine
from chamelio.verify.state import State, update_pointers
from chamelio.verify.values import ZERO, Pointer, PtrKind, Value, format_value

EQ, NE, LT, LE, GT, GE = "==", "!=", "<", "<=", ">", ">="
# (op, taken) -> relation of dst to src on that side
_REL = {
    isa.BPF_JEQ: (EQ, NE), isa.BPF_JNE: (NE, EQ),
    isa.BPF_JGT: (GT, LE), isa.BPF_JGE: (GE, LT), isa.BPF_JLT: (LT, GE), isa.BPF_JLE: (LE, GT),
    isa.BPF_JSGT: (GT, LE), isa.BPF_JSGE: (GE, LT), isa.BPF_JSLT: (LT, GE), isa.BPF_JSLE: (LE, GT),
}  # fmt: skip
_FLIP = {EQ: EQ, NE: NE, LT: GT, LE: GE, GT: LT, GE: LE}

Outcome = list[tuple[bool, State]]


def _relation(op: int, taken: bool, swapped: bool) -> str:
    rel = _REL[op][0 if taken else 1]
    return _FLIP[rel] if swapped else rel


def set_range(state: State, kind: PtrKind, pid: int, new: int) -> None:
    """Every pointer of ``kind`` with variable base ``pid`` learns ``base + new <= end``."""
    if new < 0:
        return
    def grow(p: Pointer) -> Value:
        if p.kind is kind and p.id == pid and p.range < new:
            return p.moved(p.off, p.fixed, range=new)
        return p

    update_pointers(state, grow)


def _null_check(state: State, pid: int, null: bool) -> None:
    def mark(p: Pointer) -> Value:
        if not (p.nullable and p.id == pid):
            return p
        if null:
            return ZERO
        return Pointer(p.kind, p.off, 0, p.fixed, p.range, p.map_index, p.frame, False)

    update_pointers(state, mark)


def _feasible_end(p: Pointer, rel: str) -> bool:
    """Whether ``p REL data_end`` may hold, given what the range proves (``data`` itself is
    never past the end; a variable base only once a range was learned for it)."""
    known = p.range >= 0
    le = known and p.fixed <= p.range  # p <= end is known
    lt = known and p.fixed + 1 <= p.range  # p < end is known
    if rel == GT:
        return not le
    if rel in (GE, EQ):
        return not lt
    return True


def _learn_end(state: State, p: Pointer, rel: str) -> None:
    if rel in (LE, EQ):
        extra = 0
    elif rel == LT:
        extra = 1
    else:
        return
    set_range(state, p.kind, p.id, p.fixed + extra)
    if p.kind is PtrKind.PACKET and p.id != 0 and p.off.smin >= 0:
        set_range(state, PtrKind.PACKET, 0, p.off.umin + extra)


def _outcomes(state: State, feasible: dict[bool, bool]) -> Outcome:
    sides = [taken for taken in (False, True) if feasible[taken]]
    if len(sides) == 1:
        return [(sides[0], state)]
    return [(False, state), (True, state.copy())]


def compare_pointers(env: Env, state: State, insn: Insn, dst: Scalar | Pointer,
                     src: Scalar | Pointer, is64: bool) -> Outcome:
    """The feasible sides of a conditional jump with a pointer operand, each with its state."""
    op = insn.op
    what = f"{format_value(dst)} {isa.JMP_OPS.get(op, '?')} {format_value(src)}"
    if not is64:
        raise Unsafe(f"32-bit comparison of a pointer ({what})", "compare pointers with 64-bit jumps")
    if op == isa.BPF_JSET or op not in _REL:
        raise Unsafe(f"bit test of a pointer ({what})", "pointers may only be compared")
    swapped = isinstance(dst, Scalar)
    p, other = (src, dst) if swapped else (dst, src)
    assert isinstance(p, Pointer)
    if isinstance(other, Scalar):
        if not (other.is_const() and other.const_value() == 0 and op in (isa.BPF_JEQ, isa.BPF_JNE)):
            raise Unsafe(f"comparison of a pointer with a number ({what}) would expose its address",
                         "pointers may only be compared with 0 (a null check) or with pointers "
                         "into the same region")
        eq_taken = op == isa.BPF_JEQ  # the side where p == 0
        if not p.nullable:
            return [(not eq_taken, state)]
        outs = _outcomes(state, {False: True, True: True})
        for taken, st in outs:
            _null_check(st, p.id, null=taken == eq_taken)
        return outs
    q = other
    if p.nullable or q.nullable:
        raise Unsafe(f"comparison of a maybe-null pointer ({what})", "compare it with 0 first")
    pk, qk = p.kind, q.kind
    for a, b, swap in ((p, q, swapped), (q, p, not swapped)):
        if a.kind is PtrKind.PACKET and b.kind is PtrKind.PACKET_END:
            feasible = {t: _feasible_end(a, _relation(op, t, swap)) for t in (False, True)}
            outs = _outcomes(state, feasible)
            for taken, st in outs:
                _learn_end(st, a, _relation(op, taken, swap))
            return outs
        if (a.kind is PtrKind.PACKET_META and b.kind is PtrKind.PACKET and b.id == 0
                and b.const_off == 0):  # fmt: skip
            feasible = {t: _feasible_end(a, _relation(op, t, swap)) for t in (False, True)}
            outs = _outcomes(state, feasible)
            for taken, st in outs:
                _learn_end(st, a, _relation(op, taken, swap))
            return outs
    same = pk is qk and p.frame == q.frame and pk in (
        PtrKind.PACKET, PtrKind.PACKET_META, PtrKind.STACK, PtrKind.CTX, PtrKind.FLOW,
        PtrKind.PFLOW, PtrKind.PACKET_END)  # fmt: skip
    packet_pair = {pk, qk} == {PtrKind.PACKET, PtrKind.PACKET_META}
    if not same and not packet_pair:
        raise Unsafe(f"comparison of pointers into different regions ({what}) would expose "
                     "addresses", "compare pointers into the same region only")
    if not same:
        return _outcomes(state, {False: True, True: True})
    a, b = (q, p) if swapped else (p, q)
    feasible = {t: refine(op, a.off, b.off, True, t) is not None for t in (False, True)}
    return _outcomes(state, feasible)
