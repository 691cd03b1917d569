"""Value ranges, and where plain Python computes with unbounded ints.

Two analyses over typed expressions, both used by *check*:

* :meth:`RangeAnalysis.int_range` — bounds of an integer expression's value, assuming nothing
  wraps (``None`` when a wrap may happen or nothing is known). It proves array indexes and
  packet offsets, and it decides the second analysis;
* Python-int provenance (:meth:`RangeAnalysis.is_pyint`): in a plain-Python run, a literal, a
  variable assigned one, a ``range()`` loop variable or a lang function returning a literal
  hold a plain ``int``, not a ``u32``. An operator between two such values is computed by
  Python without wrapping, so compiled code agrees only if the result provably stays inside
  the type; otherwise :meth:`check_python_agrees` rejects it and names the cast to write.
"""

from __future__ import annotations

import ast
from typing import Any

from chamelio.lang import types as lt
from chamelio.lang.compiler import intrinsics as intr
from chamelio.lang.compiler.errors import LangCompileError
from chamelio.lang.compiler.facts import Facts
from chamelio.lang.compiler.resolve import MISSING, Resolution
from chamelio.lang.compiler.typed import Builtin, Cast, LangCall, TypedFunction

Range = tuple[int, int]


def _fits(r: Range, t: lt.IntType) -> bool:
    return t.min <= r[0] and r[1] <= t.max


def _pow2_cover(v: int) -> int:
    return (1 << max(0, v).bit_length()) - 1


class RangeAnalysis:
    tf: TypedFunction
    res: Resolution
    program: Any

    def err(self, node: ast.AST, message: str, hint: str | None = None) -> LangCompileError:
        raise NotImplementedError

    # ---- ranges ----------------------------------------------------------------------------

    def int_range(self, e: ast.expr, f: Facts) -> Range | None:
        """Bounds of ``e``'s value if no operation inside it wraps, else None."""
        c = self.tf.const.get(e)
        if c is not None and not isinstance(c, bool):
            return int(c), int(c)
        t = self.tf.ty.get(e)
        if not isinstance(t, lt.IntType):
            return None
        r = self._range(e, t, f)
        return r if r is not None and _fits(r, t) else None

    def _range(self, e: ast.expr, t: lt.IntType, f: Facts) -> Range | None:
        whole = (t.min, t.max)
        if isinstance(e, ast.Name):
            bound = f.bound(e.id)
            return (0, bound - 1) if bound is not None and not t.signed else whole
        if isinstance(e, ast.BinOp):
            a, b = self.int_range(e.left, f), self.int_range(e.right, f)
            if a is None or b is None:
                if isinstance(e.op, ast.BitAnd):
                    known = [x for x in (a, b) if x is not None and x[0] >= 0]
                    return (0, min(x[1] for x in known)) if known else None
                return None
            return _binop_range(type(e.op), a, b, t)
        if isinstance(e, ast.UnaryOp):
            u = self.int_range(e.operand, f)
            if u is None:
                return None
            if isinstance(e.op, ast.USub):
                return -u[1], -u[0]
            if isinstance(e.op, ast.Invert):
                return -u[1] - 1, -u[0] - 1
            return u
        if isinstance(e, ast.IfExp):
            x, y = self.int_range(e.body, f), self.int_range(e.orelse, f)
            return None if x is None or y is None else (min(x[0], y[0]), max(x[1], y[1]))
        info = self.tf.info.get(e)
        if isinstance(info, Cast) and isinstance(e, ast.Call) and e.args:
            inner = self.int_range(e.args[0], f)
            return inner if inner is not None and _fits(inner, t) else whole
        if isinstance(info, Builtin) and isinstance(e, ast.Call):
            p = self.int_range(e.args[0], f)
            q = self.int_range(e.args[1], f)
            if p is None or q is None:
                return whole
            pick = min if info.name == "min" else max
            return pick(p[0], q[0]), pick(p[1], q[1])
        return whole

    # ---- Python-int provenance -------------------------------------------------------------

    def is_pyint(self, e: ast.expr, f: Facts) -> bool:
        """Whether a plain-Python run holds ``e``'s value as a plain ``int``."""
        t = self.tf.ty.get(e)
        if t == lt.INT_LITERAL or (e in self.tf.const and not isinstance(self.tf.const[e], bool)
                                   and isinstance(e, (ast.Constant, ast.BinOp, ast.UnaryOp))
                                   and self._literal_only(e)):
            return True
        if not isinstance(t, lt.IntType):
            return False
        if isinstance(e, ast.Name):
            obj = self.res.static(e)
            if obj is not MISSING:
                return not hasattr(type(obj), "__lang_type__")
            return e.id in f.pyint
        if isinstance(e, ast.Attribute):
            obj = self.res.static(e)
            return obj is not MISSING and not hasattr(type(obj), "__lang_type__")
        if isinstance(e, ast.BinOp):
            return self.is_pyint(e.left, f) and self.is_pyint(e.right, f)
        if isinstance(e, ast.UnaryOp):
            return self.is_pyint(e.operand, f)
        if isinstance(e, ast.IfExp):
            return self.is_pyint(e.body, f) or self.is_pyint(e.orelse, f)
        info = self.tf.info.get(e)
        if isinstance(info, Builtin) and isinstance(e, ast.Call):
            return any(self.is_pyint(a, f) for a in e.args)
        if isinstance(info, LangCall):
            return bool(self.program.program.functions[info.key].returns_pyint)
        return isinstance(e, ast.Call) and intr.builtin_name(self.res.static(e.func)) == "len"

    def _literal_only(self, e: ast.expr) -> bool:
        for sub in ast.walk(e):
            if isinstance(sub, ast.Call):
                return False
            if isinstance(sub, ast.Name):
                obj = self.res.static(sub)
                if obj is MISSING or hasattr(type(obj), "__lang_type__"):
                    return False
        return True

    def check_python_agrees(self, e: ast.AST, op: str, left: ast.expr, right: ast.expr | None,
                            result: lt.LangType, f: Facts) -> None:
        """``left op right`` (or ``op left``) is typed ``result`` here; if plain Python sees two
        plain ints, their unbounded result must provably fit ``result``."""
        if not isinstance(result, lt.IntType):
            return
        operands = [left] if right is None else [left, right]
        if not all(self.is_pyint(x, f) for x in operands):
            return
        a = self.int_range(left, f)
        b = self.int_range(right, f) if right is not None else (0, 0)
        ok = a is not None and b is not None
        if ok and a is not None and b is not None:
            if op in ("//", "%"):
                ok = a[0] >= 0 and b[0] >= 0
            elif op == "~":
                ok = result.signed
            elif op in ("<<", ">>"):
                ok = a[0] >= 0 and b[0] >= 0 and b[1] < result.bits
            if ok and op not in ("&", "|", "^", ">>", "//", "%"):
                r = _binop_range(_AST_OPS[op], a, b, result) if right is not None else (
                    (-a[1], -a[0]) if op == "-" else (-a[1] - 1, -a[0] - 1) if op == "~" else a)
                ok = r is not None and _fits(r, result)
        if not ok:
            name = ast.unparse(left)
            raise self.err(e, f"plain Python computes this '{op}' on unbounded ints (both "
                           f"operands are Python ints there), so it could differ from "
                           f"{result.name} arithmetic", f"give an operand its type: "
                           f"{result.name}({name}), or bound the values with a check")


_AST_OPS: dict[str, type[ast.operator]] = {
    "+": ast.Add, "-": ast.Sub, "*": ast.Mult, "//": ast.FloorDiv, "%": ast.Mod,
    "<<": ast.LShift, ">>": ast.RShift, "&": ast.BitAnd, "|": ast.BitOr, "^": ast.BitXor,
}


def _binop_range(op: type[ast.operator], a: Range, b: Range, t: lt.IntType) -> Range | None:
    if op is ast.Add:
        return a[0] + b[0], a[1] + b[1]
    if op is ast.Sub:
        return a[0] - b[1], a[1] - b[0]
    if op is ast.Mult:
        p = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]
        return min(p), max(p)
    if a[0] < 0 or b[0] < 0:
        return None
    if op is ast.FloorDiv:
        return (0, a[1]) if b[0] == 0 else (a[0] // b[1], a[1] // b[0])
    if op is ast.Mod:
        return (0, a[1]) if b[0] == 0 else (0, min(a[1], b[1] - 1))
    if op is ast.LShift:
        return (a[0] << b[0], a[1] << b[1]) if b[1] < t.bits else None
    if op is ast.RShift:
        return (a[0] >> b[1], a[1] >> b[0]) if b[1] < t.bits else (0, a[1])
    if op is ast.BitAnd:
        return 0, min(a[1], b[1])
    return 0, _pow2_cover(max(a[1], b[1]))  # | and ^
