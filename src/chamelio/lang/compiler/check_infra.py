"""Calls of the native-only infrastructure functions in pass 3 (see :mod:`.infra`)."""

from __future__ import annotations

import ast
from typing import Any

from chamelio.lang import types as lt
from chamelio.lang.compiler.check_expr import ExprChecker
from chamelio.lang.compiler.facts import Facts
from chamelio.lang.compiler.infra import Order
from chamelio.lang.compiler.typed import ExternCall, InfraCall

_ARITY = {"raw_ptr": (2, 3), "addr_of": (1, 1), "atomic_load": (1, 2), "atomic_store": (2, 3),
          "atomic_add": (2, 3), "atomic_cas": (3, 4), "fence": (0, 1)}
_BAD_ORDERS = {"atomic_load": {Order.RELEASE, Order.ACQ_REL},
               "atomic_store": {Order.ACQUIRE, Order.ACQ_REL}, "fence": {Order.RELAXED}}


class InfraChecker(ExprChecker):
    def native_only(self, e: ast.Call, what: str) -> None:
        if self.target != "native":
            raise self.err(e, f"{what} is only available on the native target",
                           "tenant handlers cannot use the provider's trusted primitives")

    def extern_call(self, e: ast.Call, ext: Any, f: Facts) -> lt.LangType:
        self.native_only(e, f"the extern function {ext.name}")
        if e.keywords or len(e.args) != len(ext.arg_types):
            raise self.err(e, f"{ext.name} takes {len(ext.arg_types)} positional arguments")
        for arg, t in zip(e.args, ext.arg_types, strict=True):
            got = self.typed(arg, f, t)
            if isinstance(t, lt.PtrType) and isinstance(got, (lt.StructType, lt.ArrayType)):
                continue  # a struct or array passes its address
            self.coerce(arg, t, f"argument of {ext.name}")
        self.tf.info[e] = ExternCall(ext)
        ret: lt.LangType = ext.ret_type
        return ret

    def infra_call(self, e: ast.Call, name: str, f: Facts) -> lt.LangType:
        self.native_only(e, f"{name}()")
        args = list(e.args)
        order = int(Order.SEQ_CST)
        for kw in e.keywords:
            if kw.arg != "order":
                raise self.err(kw.value, f"{name}() has no argument {kw.arg!r}")
            args.append(kw.value)
        lo, hi = _ARITY[name]
        if not lo <= len(args) <= hi:
            raise self.err(e, f"{name}() takes {lo} to {hi} arguments, got {len(args)}")
        if name.startswith("atomic") or name == "fence":
            if len(args) == hi:
                order = self.order(args.pop(), name)
            return self.atomic(e, name, args, order, f)
        if name == "raw_ptr":
            target = self.annotation(args[0])
            self.typed(args[1], f, lt.U64)
            self.coerce(args[1], lt.U64, "address")
            if len(args) == 3:
                self.typed(args[2], f, lt.U64)
            self.tf.info[e] = InfraCall(name, order, target)
            return lt.PtrType(target)
        t = self.expr(args[0], f)  # addr_of
        if not isinstance(t, (lt.PtrType, lt.StructType, lt.ArrayType)):
            raise self.err(args[0], f"addr_of() needs a pointer, struct or array, not {t.name}")
        self.tf.info[e] = InfraCall(name, order, t)
        return lt.U64

    def order(self, node: ast.expr, name: str) -> int:
        self.expr(node, Facts())
        c = self.tf.const.get(node)
        if c is None or int(c) not in set(Order):
            raise self.err(node, "a memory order must be a constant Order.X",
                           "use Order.RELAXED, ACQUIRE, RELEASE, ACQ_REL or SEQ_CST")
        if Order(int(c)) in _BAD_ORDERS.get(name, set()):
            raise self.err(node, f"{name}() cannot use {Order(int(c)).name}")
        self.tf.ty[node] = lt.U8
        return int(c)

    def atomic(self, e: ast.Call, name: str, args: list[ast.expr], order: int,
               f: Facts) -> lt.LangType:
        if name == "fence":
            self.tf.info[e] = InfraCall(name, order, lt.VOID)
            return lt.VOID
        pt = self.expr(args[0], f)
        if not isinstance(pt, lt.PtrType) or not isinstance(pt.target, lt.IntType):
            raise self.err(args[0], f"{name}() needs a Ptr to an integer")
        self.require_nonnull(args[0], f)
        t = pt.target
        for v in args[1:]:
            self.typed(v, f, t)
            self.coerce(v, t, f"operand of {name}")
        self.tf.info[e] = InfraCall(name, order, t)
        return lt.VOID if name == "atomic_store" else t
