"""Integer semantics in LLVM IR, exactly as :mod:`chamelio.lang.intops` defines them.

LLVM never sees undefined behaviour: a divisor is replaced by 1 *before* the division when it
is zero (or when a signed division would overflow), and the result is then selected; shift
amounts are masked to ``bits - 1``; all arithmetic wraps (no ``nsw``/``nuw``). Below cpu v4
the BPF backend cannot emit signed division, so signed ``//`` and ``%`` go through unsigned
operations on absolute values there.
"""

from __future__ import annotations

from llvmlite import ir

from chamelio.lang import types as lt

I1 = ir.IntType(1)


def const(t: ir.IntType, v: int) -> ir.Constant:
    return ir.Constant(t, v & ((1 << t.width) - 1))


def binop(b: ir.IRBuilder, op: str, x: ir.Value, y: ir.Value, t: lt.IntType,
          native_sdiv: bool) -> ir.Value:
    if op == "+":
        return b.add(x, y)
    if op == "-":
        return b.sub(x, y)
    if op == "*":
        return b.mul(x, y)
    if op == "&":
        return b.and_(x, y)
    if op == "|":
        return b.or_(x, y)
    if op == "^":
        return b.xor(x, y)
    if op in ("<<", ">>"):
        n = b.and_(y, const(x.type, t.bits - 1))
        if op == "<<":
            return b.shl(x, n)
        return b.ashr(x, n) if t.signed else b.lshr(x, n)
    if op in ("//", "%"):
        if not t.signed:
            return _udivmod(b, op, x, y)
        if native_sdiv:
            return _sdivmod(b, op, x, y, t)
        return _sdivmod_via_unsigned(b, op, x, y, t)
    raise ValueError(f"unknown operator {op}")


def _udivmod(b: ir.IRBuilder, op: str, x: ir.Value, y: ir.Value) -> ir.Value:
    ty = x.type
    zero = b.icmp_unsigned("==", y, const(ty, 0))
    d = b.select(zero, const(ty, 1), y)
    if op == "//":
        return b.select(zero, const(ty, 0), b.udiv(x, d))
    return b.select(zero, x, b.urem(x, d))


def _sdivmod(b: ir.IRBuilder, op: str, x: ir.Value, y: ir.Value, t: lt.IntType) -> ir.Value:
    ty = x.type
    zero = b.icmp_signed("==", y, const(ty, 0))
    overflow = b.and_(b.icmp_signed("==", x, const(ty, t.min)),
                      b.icmp_signed("==", y, const(ty, -1)))
    d = b.select(b.or_(zero, overflow), const(ty, 1), y)
    if op == "//":
        return b.select(zero, const(ty, 0), b.sdiv(x, d))  # MIN // 1 == MIN
    return b.select(zero, x, b.srem(x, d))  # MIN % 1 == 0


def _sdivmod_via_unsigned(b: ir.IRBuilder, op: str, x: ir.Value, y: ir.Value,
                          t: lt.IntType) -> ir.Value:
    ty = x.type
    zero_c = const(ty, 0)
    xneg = b.icmp_signed("<", x, zero_c)
    yneg = b.icmp_signed("<", y, zero_c)
    ax = b.select(xneg, b.sub(zero_c, x), x)  # |MIN| is 2**(bits-1) as unsigned
    ay = b.select(yneg, b.sub(zero_c, y), y)
    yzero = b.icmp_unsigned("==", y, zero_c)
    d = b.select(yzero, const(ty, 1), ay)
    if op == "//":
        q = b.udiv(ax, d)
        q = b.select(b.xor(xneg, yneg), b.sub(zero_c, q), q)
        return b.select(yzero, zero_c, q)
    r = b.urem(ax, d)
    r = b.select(xneg, b.sub(zero_c, r), r)
    return b.select(yzero, x, r)


def compare(b: ir.IRBuilder, op: str, x: ir.Value, y: ir.Value, t: lt.LangType) -> ir.Value:
    if isinstance(t, lt.IntType) and t.signed:
        return b.icmp_signed(op, x, y)
    return b.icmp_unsigned(op, x, y)


def cast(b: ir.IRBuilder, v: ir.Value, src: lt.LangType, dst: lt.LangType) -> ir.Value:
    """Convert between integer types and bool (registers: iN, bool is i1)."""
    if src == dst:
        return v
    if isinstance(dst, lt.BoolType):
        return b.icmp_unsigned("!=", v, const(v.type, 0)) if isinstance(src, lt.IntType) else v
    assert isinstance(dst, lt.IntType)
    to = ir.IntType(dst.bits)
    if isinstance(src, lt.BoolType):
        return b.zext(v, to)
    assert isinstance(src, lt.IntType)
    if src.bits == dst.bits:
        return v
    if src.bits > dst.bits:
        return b.trunc(v, to)
    return b.sext(v, to) if src.signed else b.zext(v, to)


def minmax(b: ir.IRBuilder, name: str, x: ir.Value, y: ir.Value, t: lt.IntType) -> ir.Value:
    op = "<" if name == "min" else ">"
    # Python's min/max return the first argument on ties
    pick_y = compare(b, op, y, x, t)
    return b.select(pick_y, y, x)
