"""Pass 3, *check*: one forward pass over a function's statements.

It types every expression (:mod:`.check_expr`, :mod:`.check_calls`) and carries
:class:`~chamelio.lang.compiler.facts.Facts` along the structured control flow: a branch
starts with what its condition proved, a join keeps what holds on every incoming path, a loop
head keeps what its body cannot invalidate. Packet accesses, pointer dereferences and array
indexes are accepted only where the facts cover them.
"""

from __future__ import annotations

import ast
from typing import Any

from chamelio import abi
from chamelio.lang import types as lt
from chamelio.lang.compiler.check_calls import CallChecker
from chamelio.lang.compiler.check_expr import BINOPS
from chamelio.lang.compiler.errors import LangCompileError
from chamelio.lang.compiler.facts import Facts, Point, meet, meet_all
from chamelio.lang.compiler.frontend import FunctionSource
from chamelio.lang.compiler.loops import check_bounded_while, range_loop
from chamelio.lang.compiler.resolve import MISSING, Resolution
from chamelio.lang.compiler.typed import TypedFunction

_NOT_LOCAL = (lt.MapType, lt.CtxType, lt.VoidType, lt.IntLiteralType)


class FunctionChecker(CallChecker):
    def __init__(self, program: Any, src: FunctionSource, res: Resolution, tf: TypedFunction,
                 target: str, hook: abi.Hook | None) -> None:
        self.program = program
        self.src = src
        self.res = res
        self.tf = tf
        self.target = target
        self.hook = hook
        self.nullable: set[ast.AST] = set()
        # facts at each `break` and `continue` of the enclosing loops
        self.loops: list[tuple[list[Point], list[Point]]] = []
        self._loop_body: tuple[list[ast.stmt], Any] | None = None

    # ---- to the program checker ----------------------------------------------------------

    def lang_signature(self, fn: Any, node: ast.AST) -> TypedFunction:
        result: TypedFunction = self.program.signature(fn, self, node)
        return result

    def lang_callee(self, fn: Any, node: ast.AST, pyint_params: frozenset[str]
                    ) -> tuple[int, TypedFunction]:
        result: tuple[int, TypedFunction] = self.program.callee(fn, self, node, pyint_params)
        return result

    def register_map(self, obj: Any, node: ast.AST) -> None:
        self.program.register_map(obj, self.src)

    # ---- the function ----------------------------------------------------------------------

    def signature(self) -> None:
        fn = self.src.node
        for arg in fn.args.args:
            assert arg.annotation is not None
            t = self.annotation(arg.annotation)
            if isinstance(t, (lt.VoidType, lt.MapType)):
                raise self.err(arg, f"parameter {arg.arg!r} cannot have type {t.name}")
            self.tf.params.append((arg.arg, t))
            self.tf.locals[arg.arg] = t
        if fn.returns is None:
            raise self.err(fn, f"{fn.name} has no return annotation",
                           "annotate it, e.g. `-> u32` (or `-> None`)")
        self.tf.ret = self.annotation(fn.returns)
        if not isinstance(self.tf.ret, (lt.IntType, lt.BoolType, lt.VoidType, lt.PtrType)):
            raise self.err(fn.returns, f"a lang function cannot return {self.tf.ret.name}",
                           "return an integer, a bool, a pointer, or None")

    def annotation(self, node: ast.expr) -> lt.LangType:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                return lt.type_of_annotation(node.value, self.src.globals)
            except lt.LangTypeError as exc:
                raise self.from_type_error(node, exc) from None
        if isinstance(node, ast.Constant) and node.value is None:
            return lt.VOID
        return super().annotation(node)

    def run(self) -> TypedFunction:
        self.signature()
        return self.check_body()

    def check_body(self) -> TypedFunction:
        params = [n for n, _ in self.tf.params]
        f = Facts(assigned=frozenset(params),
                  nonnull=frozenset(n for n, t in self.tf.params if isinstance(t, lt.PtrType)),
                  pyint=self.tf.pyint_params)
        body = self.src.node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # docstring
        end = self.block(body, f)
        if end is not None and self.tf.ret != lt.VOID:
            last = body[-1] if body else self.src.node
            raise self.err(last, f"{self.src.node.name} can reach its end without returning a "
                           f"{self.tf.ret.name}", "add a `return` at the end")
        return self.tf

    # ---- statements ------------------------------------------------------------------------

    def block(self, stmts: list[ast.stmt], f: Point) -> Point:
        for s in stmts:
            if f is None:
                self.tf.dead.add(s)  # unreachable: neither checked nor lowered
                continue
            self.tf.dead.discard(s)
            f = self.stmt(s, f)
        return f

    def stmt(self, s: ast.stmt, f: Facts) -> Point:
        if isinstance(s, ast.Pass):
            return f
        if isinstance(s, ast.Expr):
            assert isinstance(s.value, ast.Call)
            self.expr(s.value, f)
            return f
        if isinstance(s, ast.Return):
            return self.return_(s, f)
        if isinstance(s, ast.Assign):
            if len(s.targets) != 1 or isinstance(s.targets[0], ast.Tuple):
                raise self.err(s, "assign one target at a time",
                               "write separate assignments (no `a = b = 0`, no unpacking)")
            return self.assign(s.targets[0], s.value, f, None)
        if isinstance(s, ast.AnnAssign):
            return self.ann_assign(s, f)
        if isinstance(s, ast.AugAssign):
            return self.aug_assign(s, f)
        if isinstance(s, ast.If):
            ft, ff = self.cond(s.test, f)
            return meet(self.block(s.body, ft), self.block(s.orelse, ff))
        if isinstance(s, ast.While):
            return self.while_(s, f)
        if isinstance(s, ast.For):
            return self.for_(s, f)
        if isinstance(s, (ast.Break, ast.Continue)):
            if not self.loops:
                raise self.err(s, f"'{type(s).__name__.lower()}' outside a loop")
            self.loops[-1][0 if isinstance(s, ast.Break) else 1].append(f)
            return None
        raise self.err(s, f"{type(s).__name__} is not supported")  # pragma: no cover

    def return_(self, s: ast.Return, f: Facts) -> Point:
        ret = self.tf.ret
        if s.value is None:
            if ret != lt.VOID:
                raise self.err(s, f"return needs a {ret.name} value")
            return None
        if ret == lt.VOID:
            raise self.err(s.value, f"{self.src.node.name} is declared `-> None` but returns a "
                           "value")
        self.typed(s.value, f, ret)
        self.coerce(s.value, ret, "return value")
        if not self.tf.is_entry and self.is_pyint(s.value, f):
            self.tf.returns_pyint = True
        if isinstance(ret, lt.PtrType):
            self.require_nonnull(s.value, f)
        c = self.tf.const.get(s.value)
        if self.tf.is_entry and self.hook is not None and c is not None and \
                not self.hook.ret_min <= int(c) <= self.hook.ret_max:
            verdicts = self.hook.verdicts
            hint = (f"return one of {verdicts.__name__}: "
                    + ", ".join(f"{v.name}={int(v)}" for v in verdicts)) if verdicts else None
            raise self.err(s.value, f"the {self.hook.name} hook accepts return values "
                           f"{self.hook.ret_min}..{self.hook.ret_max}, not {int(c)}", hint)
        return None

    # ---- assignments -------------------------------------------------------------------------

    def declare(self, target: ast.Name, t: lt.LangType) -> None:
        old = self.tf.locals.get(target.id)
        if old is not None and old != t:
            raise self.err(target, f"{target.id!r} is {old.name}; it cannot hold {t.name}",
                           "use another variable, or convert the value")
        if isinstance(t, _NOT_LOCAL):
            raise self.err(target, f"a variable cannot hold a {t.name}")
        self.tf.locals[target.id] = t

    def ann_assign(self, s: ast.AnnAssign, f: Facts) -> Point:
        if not isinstance(s.target, ast.Name):
            raise self.err(s, "annotate plain variables only",
                           "annotated fields belong in @struct classes")
        t = self.annotation(s.annotation)
        self.declare(s.target, t)
        if s.value is None:
            return f
        return self.assign(s.target, s.value, f, t)

    def assign(self, target: ast.expr, value: ast.expr, f: Facts,
               declared: lt.LangType | None) -> Point:
        if isinstance(target, ast.Name):
            if isinstance(self.tf.locals.get(target.id), lt.CtxType):
                raise self.err(target, f"the context parameter {target.id!r} cannot be reassigned")
            want = declared or self.tf.locals.get(target.id)
            t = self.typed(value, f, want)
            if want is not None:
                self.coerce(value, want, f"variable {target.id!r}")
                t = want
            self.declare(target, t)
            self.tf.ty[target] = t
            out = f.assign(target.id).with_pyint(target.id, isinstance(t, lt.IntType)
                                                 and self.is_pyint(value, f))
            r = self.int_range(value, f) if isinstance(t, lt.IntType) and not t.signed else None
            if r is not None and isinstance(t, lt.IntType) and r[1] < t.max:
                out = out.with_bound(target.id, r[1] + 1)
            if isinstance(t, lt.PtrType) and not self.is_nullable(value) and (
                    not isinstance(value, ast.Name) or value.id in f.nonnull):
                out = out.with_nonnull(target.id)
            return out
        want = self.store_target(target, f)
        self.typed(value, f, want)
        self.coerce_store(value, want, f)
        return f

    def store_target(self, target: ast.expr, f: Facts) -> lt.LangType:
        """Type a field/element/context target of a store; returns the stored type."""
        if isinstance(target, ast.Attribute):
            base = self.expr(target.value, f)
            if isinstance(base, lt.CtxType):
                t = self.ctx_attribute(target, base, store=True)
                self.tf.ty[target] = t
                return t
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            t = self.expr(target, f)
            if self.static_obj(target) is not MISSING:
                raise self.err(target, "module-level names cannot be assigned in a handler",
                               "keep state in a map")
            return t
        raise self.err(target, "cannot assign to this expression")

    def coerce_store(self, value: ast.expr, want: lt.LangType, f: Facts) -> None:
        got = self.tf.ty[value]
        if isinstance(want, (lt.StructType, lt.ArrayType)) and got == lt.PtrType(want):
            self.require_nonnull(value, f)
            return
        self.coerce(value, want, "target")

    def aug_assign(self, s: ast.AugAssign, f: Facts) -> Point:
        op = BINOPS.get(type(s.op))
        if op is None:
            raise self.err(s, "this augmented assignment is not supported")
        load: ast.expr = s.target
        if isinstance(s.target, ast.Name):
            load = ast.Name(s.target.id, ast.Load(), **_pos(s.target))
            t = self.expr(load, f)
            self.tf.ty[s.target] = t
        else:
            t = self.store_target(s.target, f)
        self.expr(s.value, f)
        try:
            result = lt.check_binop(op, t, self.operand(s.value))
        except lt.LangTypeError as exc:
            raise self.from_type_error(s, exc) from None
        if result != t:
            raise self.err(s, f"{op}= would change the type of the target from {t.name}")
        if self.tf.ty[s.value] == lt.INT_LITERAL:
            self.coerce(s.value, t)
        self.check_python_agrees(s, op, load, s.value, t, f)
        if isinstance(s.target, ast.Name):
            pyint = self.is_pyint(load, f) and self.is_pyint(s.value, f)
            return f.assign(s.target.id).with_pyint(s.target.id, pyint)
        return f

    # ---- loops -------------------------------------------------------------------------------

    def loop_head(self, body: list[ast.stmt], f: Facts, extra: set[str]) -> Facts:
        """What holds at a loop's head on every iteration, found by iterating the body from
        the entry facts (bounds that keep changing are dropped); if that fails, the entry
        facts minus everything about the variables the body assigns."""
        head = f
        for name in extra:
            head = head.kill(name)
        safe = head
        for node in body:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    safe = safe.kill(sub.id).with_pyint(sub.id, True)
        for round_ in range(6):
            try:
                back = self.run_body(head)
            except LangCompileError:
                return safe
            new = meet_all([head, *back])
            assert new is not None
            for var, bound in new.bounds:
                if round_ >= 2 and head.bound(var) != bound:
                    new = new.kill_bound(var)  # widen: a bound that keeps growing goes
            if new == head:
                return head
            head = new
        return safe

    def run_body(self, head: Facts) -> list[Point]:
        """Facts at the back edges (end of body, `continue`) for one trial iteration."""
        assert self._loop_body is not None
        self.loops.append(([], []))
        try:
            end = self.block(self._loop_body[0], self._loop_body[1](head))
        finally:
            _, conts = self.loops.pop()
        return [end, *conts]

    def while_(self, s: ast.While, f: Facts) -> Point:
        def enter(head: Facts) -> Point:
            return self.cond(s.test, head)[0]

        head = self.with_loop(s.body, enter, f, set())
        ft, ff = self.cond(s.test, head)
        if self.target == "bpf" and self.tf.const.get(s.test) is not None:
            raise self.err(s, "`while` with a constant condition is unbounded",
                           "bpf programs need loops with a provable bound: use "
                           "`for i in range(N)`")
        self.loops.append(([], []))
        self.block(s.body, ft)
        breaks, _ = self.loops.pop()
        if self.target == "bpf":
            check_bounded_while(self, s)
        return meet_all([ff, *breaks])

    def for_(self, s: ast.For, f: Facts) -> Point:
        loop = range_loop(self, s, f)

        def enter(head: Facts) -> Point:
            out = head.assign(loop.var).with_pyint(loop.var, True)  # range() yields ints
            if isinstance(loop.type, lt.IntType) and not loop.type.signed and loop.step > 0:
                out = out.with_bound(loop.var, loop.stop)
            return out

        head = self.with_loop(s.body, enter, f, {loop.var})
        self.loops.append(([], []))
        self.block(s.body, enter(head))
        breaks, _ = self.loops.pop()
        after = head.assign(loop.var).with_pyint(loop.var, True) if len(
            range(loop.start, loop.stop, loop.step)) else head
        return meet_all([after, *breaks])

    def with_loop(self, body: list[ast.stmt], enter: Any, f: Facts, extra: set[str]) -> Facts:
        saved = self._loop_body
        self._loop_body = (body, enter)
        try:
            return self.loop_head(body, f, extra)
        finally:
            self._loop_body = saved


def _pos(node: ast.AST) -> dict[str, int]:
    return {k: getattr(node, k) for k in ("lineno", "col_offset", "end_lineno", "end_col_offset")
            if hasattr(node, k)}

