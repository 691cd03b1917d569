"""The expression half of pass 3, *check*: types, constants and flow facts of expressions.

Every expression gets a lang type in ``tf.ty``. A bare Python int literal (or an expression of
literals only, or a module-level int) has type ``INT_LITERAL`` and a value in ``tf.const``; it
takes the type of what it meets. Typed constants are folded with :mod:`chamelio.lang.intops`,
literal-only arithmetic with Python's (what plain Python computes for the same code).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from chamelio.lang import intops
from chamelio.lang import types as lt
from chamelio.lang.compiler.errors import LangCompileError
from chamelio.lang.compiler.facts import Facts, Point, meet_all
from chamelio.lang.compiler.frontend import FunctionSource
from chamelio.lang.compiler.ranges import RangeAnalysis
from chamelio.lang.compiler.resolve import MISSING, Resolution
from chamelio.lang.compiler.typed import FieldRef, Index, TypedFunction

BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%",
    ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
}
CMPOPS: dict[type[ast.cmpop], str] = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.Is: "is", ast.IsNot: "is not",
}
_PY_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv,
    "%": operator.mod, "<<": operator.lshift, ">>": operator.rshift, "&": operator.and_,
    "|": operator.or_, "^": operator.xor,
}
_SWAP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def is_int(t: lt.LangType) -> bool:
    return isinstance(t, lt.IntType)


class ExprChecker(RangeAnalysis):
    src: FunctionSource
    res: Resolution
    tf: TypedFunction
    target: str

    # ---- helpers ----------------------------------------------------------------------------

    def err(self, node: ast.AST, message: str, hint: str | None = None) -> LangCompileError:
        return self.src.loc.error(node, message, hint)

    def from_type_error(self, node: ast.AST, exc: lt.LangTypeError) -> LangCompileError:
        return self.err(node, exc.message, exc.hint)

    def operand(self, e: ast.AST) -> lt.Operand:
        t = self.tf.ty[e]
        if t == lt.INT_LITERAL:
            v = self.tf.const[e]
            return int(v)
        return t

    def coerce(self, e: ast.AST, target: lt.LangType, what: str = "value") -> None:
        """``e`` (already typed) is used where ``target`` is expected."""
        t = self.tf.ty[e]
        try:
            if t == lt.INT_LITERAL:
                value = self.tf.const[e]
                lt.check_assign(target, int(value), what)
                self.tf.ty[e] = target
            elif t != target:
                lt.check_assign(target, t, what)
        except lt.LangTypeError as exc:
            raise self.from_type_error(e, exc) from None

    def typed(self, e: ast.expr, f: Facts, expected: lt.LangType | None = None) -> lt.LangType:
        """Type ``e``; a literal meets ``expected`` (or is an error without one)."""
        t = self.expr(e, f, expected)
        if t == lt.INT_LITERAL:
            if expected is None:
                raise self.err(e, "cannot tell the type of this integer literal",
                               "give it a type: u32(5), or annotate the variable: `x: u32 = 5`")
            self.coerce(e, expected)
            return expected
        return t

    def static_obj(self, e: ast.AST) -> Any:
        return self.res.static(e)

    def no_keywords(self, e: ast.Call, what: str) -> None:
        if e.keywords:
            raise self.err(e.keywords[0].value, f"{what} takes no keyword arguments",
                           "pass the arguments by position")

    def arity(self, e: ast.Call, n: int | tuple[int, int], what: str) -> None:
        lo, hi = (n, n) if isinstance(n, int) else n
        if not lo <= len(e.args) <= hi:
            want = str(lo) if lo == hi else f"{lo} to {hi}"
            raise self.err(e, f"{what} takes {want} argument{'s' if hi != 1 else ''}, "
                           f"got {len(e.args)}")

    def annotation(self, node: ast.expr) -> lt.LangType:
        obj = self.static_obj(node)
        if obj is MISSING:
            raise self.err(node, "expected a type here", "write a lang type such as u32 or IPv4")
        try:
            return lt.type_of_annotation(obj)
        except lt.LangTypeError as exc:
            raise self.from_type_error(node, exc) from None

    # ---- expressions ------------------------------------------------------------------------

    def expr(self, e: ast.expr, f: Facts, expected: lt.LangType | None = None) -> lt.LangType:
        t = self._expr(e, f, expected)
        self.tf.ty[e] = t
        return t

    def _expr(self, e: ast.expr, f: Facts, expected: lt.LangType | None) -> lt.LangType:
        obj = self.static_obj(e)
        if obj is not MISSING and not isinstance(e, ast.Call):
            return self.static_value(e, obj)
        if isinstance(e, ast.Constant):
            return self.constant(e, e.value)
        if isinstance(e, ast.Name):
            return self.name(e, f)
        if isinstance(e, ast.BinOp):
            return self.binop(e, f)
        if isinstance(e, ast.UnaryOp):
            return self.unary(e, f)
        if isinstance(e, (ast.BoolOp, ast.Compare)):
            self.cond(e, f)
            return self.tf.ty[e]
        if isinstance(e, ast.IfExp):
            return self.ifexp(e, f, expected)
        if isinstance(e, ast.Call):
            return self.call(e, f, expected)
        if isinstance(e, ast.Attribute):
            return self.attribute(e, f)
        if isinstance(e, ast.Subscript):
            return self.subscript(e, f)
        raise self.err(e, f"{type(e).__name__} cannot be used here")

    def constant(self, e: ast.AST, value: object) -> lt.LangType:
        if isinstance(value, bool):
            self.tf.const[e] = value
            return lt.BOOL
        if isinstance(value, int):
            lt_type = getattr(type(value), "__lang_type__", None)
            self.tf.const[e] = int(value)
            return lt_type if isinstance(lt_type, lt.IntType) else lt.INT_LITERAL
        if value is None:
            raise self.err(e, "None can only be compared with `is` / `is not`",
                           "write `if v is not None:` after a map lookup")
        raise self.err(e, f"{type(value).__name__} values are not supported")

    def static_value(self, e: ast.AST, obj: Any) -> lt.LangType:
        if isinstance(obj, (bool, int)):
            return self.constant(e, obj)
        what = getattr(obj, "__name__", None) or type(obj).__name__
        raise self.err(e, f"{what} is not a value",
                       "module-level names used in expressions must be int or bool constants")

    def name(self, e: ast.Name, f: Facts) -> lt.LangType:
        t = self.tf.locals.get(e.id)
        if t is None or e.id not in f.assigned:
            raise self.err(e, f"local variable {e.id!r} may be used before it is assigned",
                           "assign it on every path before this line")
        return t

    def binop(self, e: ast.BinOp, f: Facts) -> lt.LangType:
        op = BINOPS[type(e.op)]
        self.expr(e.left, f)
        self.expr(e.right, f)
        lo, ro = self.operand(e.left), self.operand(e.right)
        try:
            result = lt.check_binop(op, lo, ro)
        except lt.LangTypeError as exc:
            raise self.from_type_error(e, exc) from None
        if result == lt.INT_LITERAL:
            assert isinstance(lo, int) and isinstance(ro, int)
            if op == "<<" and ro > 128:
                raise self.err(e, f"constant {lo} << {ro} is too large")
            try:
                v = _PY_BINOPS[op](lo, ro)
            except (ZeroDivisionError, ValueError) as exc:
                raise self.err(e, f"constant expression fails: {exc}") from None
            if abs(v) >= 1 << 128:
                raise self.err(e, "constant expression is too large (over 128 bits)",
                               "give the operands a type, e.g. u64(x), to wrap on purpose")
            self.tf.const[e] = v
            return result
        for side in (e.left, e.right):
            if self.tf.ty[side] == lt.INT_LITERAL:
                self.coerce(side, result)
        self.check_python_agrees(e, op, e.left, e.right, result, f)
        a, b = self.tf.const.get(e.left), self.tf.const.get(e.right)
        if a is not None and b is not None:
            if isinstance(result, lt.IntType):
                self.tf.const[e] = intops.binop(op, int(a), int(b), result.bits, result.signed)
            else:
                self.tf.const[e] = bool(_PY_BINOPS[op](bool(a), bool(b)))
        return result

    def unary(self, e: ast.UnaryOp, f: Facts) -> lt.LangType:
        if isinstance(e.op, ast.Not):
            self.cond(e, f)
            return lt.BOOL
        op = {ast.USub: "-", ast.UAdd: "+", ast.Invert: "~"}[type(e.op)]
        self.expr(e.operand, f)
        try:
            result = lt.check_unary(op, self.operand(e.operand))
        except lt.LangTypeError as exc:
            raise self.from_type_error(e, exc) from None
        if op != "+":
            self.check_python_agrees(e, op, e.operand, None, result, f)
        v = self.tf.const.get(e.operand)
        if v is not None:
            if isinstance(result, lt.IntType):
                self.tf.const[e] = intops.unop(op, int(v), result.bits, result.signed)
            else:
                self.tf.const[e] = {"-": -int(v), "+": int(v), "~": ~int(v)}[op]
        return result

    def ifexp(self, e: ast.IfExp, f: Facts, expected: lt.LangType | None) -> lt.LangType:
        ft, ff = self.cond(e.test, f)
        tb = self.expr(e.body, ft or f, expected)
        tc = self.expr(e.orelse, ff or f, expected)
        if tb == lt.INT_LITERAL and tc == lt.INT_LITERAL:
            if expected is None:
                raise self.err(e, "cannot tell the type of this conditional expression",
                               "give one branch a type, e.g. `u32(1) if c else 0`")
            tb = tc = expected
            self.coerce(e.body, expected)
            self.coerce(e.orelse, expected)
        elif tb == lt.INT_LITERAL:
            self.coerce(e.body, tc)
            tb = tc
        elif tc == lt.INT_LITERAL:
            self.coerce(e.orelse, tb)
            tc = tb
        if tb != tc or isinstance(tb, (lt.StructType, lt.ArrayType, lt.PacketType, lt.CtxType)):
            raise self.err(e, f"the branches of a conditional expression have types {tb.name} "
                           f"and {tc.name}", "both branches need the same scalar type")
        return tb

    def compare(self, e: ast.Compare, f: Facts) -> lt.LangType:
        op = CMPOPS[type(e.ops[0])]
        left, right = e.left, e.comparators[0]
        if op in ("is", "is not"):
            if not (isinstance(right, ast.Constant) and right.value is None):
                raise self.err(e, f"'{op}' only compares a pointer with None",
                               "use '==' / '!=' for values")
            lt_ = self.expr(left, f)
            self.tf.ty[right] = lt.VOID
            try:
                return lt.check_compare(op, lt_, lt.VOID)
            except lt.LangTypeError as exc:
                raise self.from_type_error(e, exc) from None
        self.expr(left, f)
        self.expr(right, f)
        lo, ro = self.operand(left), self.operand(right)
        try:
            lt.check_compare(op, lo, ro)
        except lt.LangTypeError as exc:
            raise self.from_type_error(e, exc) from None
        if isinstance(lo, int) and isinstance(ro, int):
            self.tf.const[e] = intops.COMPARE_OPS[op](lo, ro)
            return lt.BOOL
        target = ro if isinstance(lo, int) else lo
        for side in (left, right):
            if self.tf.ty[side] == lt.INT_LITERAL:
                self.coerce(side, target)  # type: ignore[arg-type]
        a, b = self.tf.const.get(left), self.tf.const.get(right)
        if a is not None and b is not None:
            self.tf.const[e] = intops.COMPARE_OPS[op](a, b)
        return lt.BOOL

    # ---- conditions: types plus the facts they prove ---------------------------------------

    def cond(self, e: ast.expr, f: Facts) -> tuple[Point, Point]:
        """Type a condition; return the facts that hold when it is true and when false."""
        ft, ff = self._cond(e, f)
        if e not in self.tf.ty:
            self.tf.ty[e] = lt.BOOL
        t = self.tf.ty[e]
        if not isinstance(t, (lt.BoolType, lt.IntType, lt.PtrType)) and t != lt.INT_LITERAL:
            raise self.err(e, f"a {t.name} cannot be used as a condition",
                           "compare it explicitly")
        v = self.tf.const.get(e)
        if v is not None:
            return (ft, None) if v else (None, ff)
        return ft, ff

    def _cond(self, e: ast.expr, f: Facts) -> tuple[Point, Point]:
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
            ft, ff = self.cond(e.operand, f)
            self.tf.ty[e] = lt.BOOL
            v = self.tf.const.get(e.operand)
            if v is not None:
                self.tf.const[e] = not v
            return ff, ft
        if isinstance(e, ast.BoolOp):
            return self.boolop(e, f)
        if isinstance(e, ast.Compare):
            self.tf.ty[e] = self.compare(e, f)
            return self.compare_facts(e, f)
        t = self.expr(e, f)
        if isinstance(t, lt.PtrType) and isinstance(e, ast.Name):
            return f.with_nonnull(e.id), f
        facts = self.call_facts(e, f) if isinstance(e, ast.Call) else None
        return facts or (f, f)

    def boolop(self, e: ast.BoolOp, f: Facts) -> tuple[Point, Point]:
        is_and = isinstance(e.op, ast.And)
        cur: Point = f
        exits: list[Point] = []
        consts: list[bool | int | None] = []
        for v in e.values:
            here = cur if cur is not None else f  # a constant-false prefix: keep typing
            ft, ff = self.cond(v, here)
            t = self.tf.ty[v]
            if not isinstance(t, lt.BoolType) and not (isinstance(t, (lt.IntType, lt.PtrType))
                                                       or t == lt.INT_LITERAL):
                raise self.err(v, f"'{'and' if is_and else 'or'}' needs conditions, not {t.name}")
            consts.append(self.tf.const.get(v))
            if cur is None:
                continue
            exits.append(ff if is_and else ft)
            cur = ft if is_and else ff
        self.tf.ty[e] = lt.BOOL
        if all(c is not None for c in consts):
            self.tf.const[e] = all(consts) if is_and else any(consts)
        if is_and:
            return cur, meet_all(exits)
        return meet_all(exits), cur

    def compare_facts(self, e: ast.Compare, f: Facts) -> tuple[Point, Point]:
        op = CMPOPS[type(e.ops[0])]
        left, right = e.left, e.comparators[0]
        if op in ("is", "is not") and isinstance(left, ast.Name):
            nn = f.with_nonnull(left.id)
            return (nn, f) if op == "is not" else (f, nn)
        # i < C on an unsigned local: an index bound
        if isinstance(right, ast.Name) and left in self.tf.const:
            left, right, op = right, left, _SWAP[op]
        if isinstance(left, ast.Name) and right in self.tf.const and op in ("<", "<=", ">=", ">"):
            t = self.tf.ty[left]
            c = int(self.tf.const[right])
            if isinstance(t, lt.IntType) and not t.signed:
                if op == "<":
                    return f.with_bound(left.id, c), f
                if op == "<=":
                    return f.with_bound(left.id, c + 1), f
                if op == ">=":
                    return f, f.with_bound(left.id, c)
                return f, f.with_bound(left.id, c + 1)
        return f, f

    # ---- attributes and subscripts ----------------------------------------------------------

    def attribute(self, e: ast.Attribute, f: Facts) -> lt.LangType:
        base = self.expr(e.value, f)
        if isinstance(base, lt.CtxType):
            return self.ctx_attribute(e, base, store=False)
        via_ptr = False
        st: lt.LangType = base
        if isinstance(base, lt.PtrType):
            self.require_nonnull(e.value, f)
            st, via_ptr = base.target, True
        if isinstance(st, lt.StructType):
            try:
                fld = st.field(e.attr)
            except lt.LangTypeError as exc:
                raise self.from_type_error(e, exc) from None
            self.tf.info[e] = FieldRef(st, fld.name, fld.offset, fld.type, via_ptr)
            return fld.type
        raise self.err(e, f"{base.name} has no attribute {e.attr!r}")

    def require_nonnull(self, e: ast.expr, f: Facts) -> None:
        if isinstance(e, ast.Name):
            if e.id not in f.nonnull:
                raise self.err(e, f"{e.id!r} may be None here (a map lookup finds nothing)",
                               f"check it first: `if {e.id} is not None:`")
            return
        if self.is_nullable(e):
            raise self.err(e, "this pointer may be None (a map lookup finds nothing)",
                           "assign it to a variable and check `if v is not None:`")

    def subscript(self, e: ast.Subscript, f: Facts) -> lt.LangType:
        base = self.expr(e.value, f)
        idx = e.slice
        if isinstance(base, lt.PtrType):
            self.require_nonnull(e.value, f)
            self.typed(idx, f, lt.U32)
            if not is_int(self.tf.ty[idx]):
                raise self.err(idx, "a pointer index must be an integer")
            if self.target == "bpf" and self.tf.const.get(idx) != 0:
                raise self.err(idx, "only p[0] may be used on the bpf target",
                               "the verifier allows access to the pointed-to value only")
            self.tf.info[e] = Index(base.target, True)
            return base.target
        if isinstance(base, lt.ArrayType):
            self.typed(idx, f, lt.U32)
            it = self.tf.ty[idx]
            if not isinstance(it, lt.IntType):
                raise self.err(idx, "an array index must be an integer")
            self.check_index(idx, it, base.length, f)
            self.tf.info[e] = Index(base.elem, False, base.length)
            return base.elem
        raise self.err(e, f"a {base.name} cannot be indexed")

    def check_index(self, idx: ast.expr, it: lt.IntType, length: int, f: Facts) -> None:
        c = self.tf.const.get(idx)
        if c is not None:
            if not 0 <= int(c) < length:
                raise self.err(idx, f"index {c} is out of range (the array has {length} elements)")
            return
        r = self.int_range(idx, f)
        if r is not None and r[0] >= 0 and r[1] < length:
            return
        name = idx.id if isinstance(idx, ast.Name) else "i"
        raise self.err(idx, f"cannot prove this index is below {length}",
                       f"use an unsigned variable and check it first: `if {name} < {length}:`")

    # ---- supplied by the call checker ------------------------------------------------------

    def call(self, e: ast.Call, f: Facts, expected: lt.LangType | None) -> lt.LangType:
        raise NotImplementedError

    def call_facts(self, e: ast.Call, f: Facts) -> tuple[Point, Point] | None:
        raise NotImplementedError

    def ctx_attribute(self, e: ast.Attribute, ctx: lt.CtxType, store: bool) -> lt.LangType:
        raise NotImplementedError

    def is_nullable(self, e: ast.expr) -> bool:
        raise NotImplementedError
