"""The whole-program side of *check*: the entry, the lang functions it calls, the maps."""

from __future__ import annotations

import ast
import re
from typing import Any

from chamelio import abi
from chamelio.lang import types as lt
from chamelio.lang.compiler.checker import FunctionChecker
from chamelio.lang.compiler.errors import LangCompileError
from chamelio.lang.compiler.frontend import FunctionSource, parse_function, validate
from chamelio.lang.compiler.resolve import resolve
from chamelio.lang.compiler.typed import Program, TypedFunction


class ProgramChecker:
    def __init__(self, target: str, hook: abi.Hook | None) -> None:
        self.program = Program(target, hook)
        self._keys: dict[int, int] = {}  # id(python function) -> index in program.functions
        self._active: list[Any] = []
        self._names: set[str] = {"_license"}
        self._pending: dict[int, tuple[Any, FunctionChecker]] = {}

    def _symbol(self, name: str) -> str:
        base = re.sub(r"\W", "_", name) or "fn"
        sym, n = base, 1
        while sym in self._names:
            n += 1
            sym = f"{base}_{n}"
        self._names.add(sym)
        return sym

    def check_entry(self, src: FunctionSource) -> Program:
        tf = TypedFunction(src, self._symbol(src.name), [], lt.VOID, is_entry=True)
        self.program.functions.append(tf)
        if src.pyfunc is not None:
            self._keys[id(src.pyfunc)] = 0
            self._active.append(src.pyfunc)
        self._check(src, tf)
        self._entry_rules(tf)
        return self.program

    def _check(self, src: FunctionSource, tf: TypedFunction) -> None:
        validate(src)
        res = resolve(src)
        FunctionChecker(self, src, res, tf, self.program.target, self.program.hook).run()

    def _entry_rules(self, tf: TypedFunction) -> None:
        node = tf.src.node
        if self.program.target != "bpf":
            for name, t in tf.params:
                if isinstance(t, lt.PacketType):
                    raise tf.src.loc.error(node, f"a native entry point cannot take the packet "
                                           f"view {name!r}", "take the context instead")
            return
        if len(tf.params) != 1 or not isinstance(tf.params[0][1], lt.CtxType):
            raise tf.src.loc.error(node, "a bpf program takes exactly one parameter, the "
                                   "context", f"write `def {node.name}(ctx: XdpCtx) -> u32:`")
        if not isinstance(tf.ret, (lt.IntType, lt.BoolType)):
            raise tf.src.loc.error(node, f"a bpf program returns an integer, not {tf.ret.name}",
                                   "return a verdict, e.g. `-> u32`")

    def signature(self, fn: Any, caller: FunctionChecker, node: ast.AST) -> TypedFunction:
        """The called function's parameters and return type (its body is checked later)."""
        key = self._keys.get(id(fn))
        if key is not None:
            return self.program.functions[key]
        pending = self._pending.get(id(fn))
        if pending is not None:
            return pending[1].tf
        try:
            src = parse_function(fn)
            validate(src)
        except LangCompileError as exc:
            raise caller.err(node, f"cannot compile the called function {fn.__name__}: "
                             f"{exc.message}", exc.hint) from None
        tf = TypedFunction(src, self._symbol(src.name), [], lt.VOID)
        checker = FunctionChecker(self, src, resolve(src), tf, self.program.target,
                                  self.program.hook)
        checker.signature()
        self._pending[id(fn)] = (fn, checker)
        return tf

    def callee(self, fn: Any, caller: FunctionChecker, node: ast.AST,
               pyint_params: frozenset[str]) -> tuple[int, TypedFunction]:
        """Check the called function's body (the first time it is called)."""
        if any(fn is a for a in self._active):
            raise caller.err(node, f"recursive call of {fn.__name__} is not supported",
                             "bpf has no recursion; rewrite it as a loop")
        key = self._keys.get(id(fn))
        if key is not None:
            tf = self.program.functions[key]
            extra = sorted(pyint_params - tf.pyint_params)
            if extra:
                raise caller.err(node, f"argument {extra[0]!r} of {fn.__name__} is a plain "
                                 "Python int in a plain-Python run here, but typed at its "
                                 "first call", f"convert it: {tf.name}(..., u32(x), ...) "
                                 "with the parameter's type")
            return key, tf
        self.signature(fn, caller, node)
        _, checker = self._pending.pop(id(fn))
        checker.tf.pyint_params = pyint_params
        self._active.append(fn)
        try:
            checker.check_body()
        finally:
            self._active.pop()
        key = len(self.program.functions)
        self.program.functions.append(checker.tf)
        self._keys[id(fn)] = key
        return key, checker.tf

    def register_map(self, obj: Any, src: FunctionSource) -> None:
        if id(obj) in self.program.maps:
            return
        name = next((k for k, v in src.globals.items() if v is obj and not k.startswith("__")),
                    f"map{len(self.program.maps)}")
        self.program.maps[id(obj)] = (self._symbol(name), obj)
