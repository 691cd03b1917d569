"""Loop rules of pass 3: ``for i in range(...)`` with constant bounds, and ``while`` loops whose
bound the checker can prove on the bpf target (a counter compared with a constant and stepped
towards it on every iteration)."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from chamelio.lang import types as lt
from chamelio.lang.compiler import intrinsics as intr
from chamelio.lang.compiler.facts import Facts
from chamelio.lang.compiler.typed import RangeLoop

if TYPE_CHECKING:
    from chamelio.lang.compiler.checker import FunctionChecker

_WHILE_HINT = ("bpf programs need loops with a provable bound: use `for i in range(N)`, or a "
               "counter: `while i < N:` with `i += 1` at the top level of the body (before any "
               "`continue`)")


def range_loop(ck: FunctionChecker, s: ast.For, f: Facts) -> RangeLoop:
    if not isinstance(s.target, ast.Name):
        raise ck.err(s.target, "the loop variable must be a plain name",
                     "write `for i in range(N):`")
    it = s.iter
    if not (isinstance(it, ast.Call) and intr.builtin_name(ck.static_obj(it.func)) == "range"):
        raise ck.err(it, "only `for i in range(...)` loops are supported",
                     "iterate over indexes: `for i in range(N):`")
    if it.keywords or not 1 <= len(it.args) <= 3:
        raise ck.err(it, "range() takes 1 to 3 positional arguments")
    values: list[int] = []
    typed: set[lt.LangType] = set()
    for arg in it.args:
        t = ck.expr(arg, f)
        c = ck.tf.const.get(arg)
        if c is None or isinstance(c, bool):
            raise ck.err(arg, "range() bounds must be constants",
                         "loops need a bound known at compile time; use a module constant")
        if t != lt.INT_LITERAL:
            typed.add(t)
        values.append(int(c))
    start, stop, step = 0, values[0], 1
    if len(values) >= 2:
        start, stop = values[0], values[1]
    if len(values) == 3:
        step = values[2]
    if step == 0:
        raise ck.err(it, "range() step must not be zero")
    declared = ck.tf.locals.get(s.target.id)
    if len(typed) > 1:
        raise ck.err(it, "range() arguments have different types")
    var_t: lt.LangType
    if declared is not None:
        var_t = declared
    elif typed:
        var_t = typed.pop()
    else:
        var_t = lt.U32 if start >= 0 and stop >= -1 else lt.I64
    if not isinstance(var_t, lt.IntType):
        raise ck.err(s.target, f"the loop variable cannot be a {var_t.name}")
    r = range(start, stop, step)
    for v in (r[0], r[-1]) if len(r) else ():
        if not var_t.fits(v) or not lt.I64.fits(v + step):
            raise ck.err(it, f"range value {v} does not fit the loop variable's type "
                         f"{var_t.name}", "annotate the variable with a wider type first")
    for arg in it.args:
        if ck.tf.ty[arg] == lt.INT_LITERAL:
            ck.tf.ty[arg] = lt.I64
    ck.declare(s.target, var_t)
    ck.tf.ty[s.target] = var_t
    loop = RangeLoop(s.target.id, var_t, start, stop, step)
    ck.tf.loops[s] = loop
    return loop


def _conjuncts(e: ast.expr) -> list[ast.expr]:
    if isinstance(e, ast.BoolOp) and isinstance(e.op, ast.And):
        return [c for v in e.values for c in _conjuncts(v)]
    return [e]


def _own_continue(stmts: list[ast.stmt]) -> bool:
    """Whether a `continue` of the loop owning ``stmts`` appears in them."""
    todo: list[ast.AST] = list(stmts)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Continue):
            return True
        if isinstance(node, (ast.For, ast.While)):
            continue
        todo.extend(ast.iter_child_nodes(node))
    return False


def check_bounded_while(ck: FunctionChecker, s: ast.While) -> None:
    """Accept ``while`` only with a provable bound (bpf)."""
    assigned: dict[str, int] = {}
    for node in s.body:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                assigned[sub.id] = assigned.get(sub.id, 0) + 1
    for c in _conjuncts(s.test):
        if not (isinstance(c, ast.Compare) and len(c.ops) == 1):
            continue
        left, right, op = c.left, c.comparators[0], type(c.ops[0])
        if isinstance(right, ast.Name) and left in ck.tf.const:
            left, right = right, left
            op = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE}.get(op, op)
        if not (isinstance(left, ast.Name) and right in ck.tf.const):
            continue
        var, bound = left.id, int(ck.tf.const[right])
        t = ck.tf.locals.get(var)
        if not isinstance(t, lt.IntType) or assigned.get(var) != 1:
            continue
        for idx, st in enumerate(s.body):
            if not (isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Name)
                    and st.target.id == var and st.value in ck.tf.const):
                continue
            k = int(ck.tf.const[st.value])
            up = (isinstance(st.op, ast.Add) and k > 0) or (isinstance(st.op, ast.Sub) and k < 0)
            down = (isinstance(st.op, ast.Sub) and k > 0) or (isinstance(st.op, ast.Add) and k < 0)
            k = abs(k)
            if _own_continue(s.body[:idx]):
                break
            if up and op in (ast.Lt, ast.LtE):
                last = bound - 1 if op is ast.Lt else bound
                if t.fits(last + k):
                    return
            if down and op in (ast.Gt, ast.GtE):
                last = bound + 1 if op is ast.Gt else bound
                if t.fits(last - k):
                    return
    raise ck.err(s, "cannot prove that this loop ends", _WHILE_HINT)
