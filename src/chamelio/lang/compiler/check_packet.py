"""The packet view in pass 3, *check*: bounds checks and the accesses they cover."""

from __future__ import annotations

import ast

from chamelio.lang import types as lt
from chamelio.lang.compiler import intrinsics as intr
from chamelio.lang.compiler.check_infra import InfraChecker
from chamelio.lang.compiler.facts import Facts, Point
from chamelio.lang.compiler.typed import PktAccess, PktCheck, PktLen, PktPointer


class PacketChecker(InfraChecker):
    # ---- the packet ----------------------------------------------------------------------------

    def pkt_method(self, e: ast.Call, f: Facts) -> lt.LangType:
        assert isinstance(e.func, ast.Attribute)
        recv, name = e.func.value, e.func.attr
        if not isinstance(recv, ast.Name):
            raise self.err(recv, "call packet methods on a variable",
                           "write `pkt = ctx.packet()` first")
        pkt = recv.id
        self.no_keywords(e, name)
        if name == "has":
            self.arity(e, 1, "has()")
            n = self.const_int(e.args[0], f, "has()")
            self.tf.info[e] = PktCheck(pkt, n)
            return lt.BOOL
        if name == "has_at":
            self.arity(e, 2, "has_at()")
            base, k, _ = self.pkt_offset(e.args[0], f)
            n = self.const_int(e.args[1], f, "has_at()")
            self.tf.info[e] = PktCheck(pkt, n, base, k)
            return lt.BOOL
        if name == "len":
            self.arity(e, 0, "len()")
            self.tf.info[e] = PktLen(pkt)
            return lt.U32
        if name in intr.PKT_LOADS or name in intr.PKT_STORES:
            store = name in intr.PKT_STORES
            size, big = (intr.PKT_STORES if store else intr.PKT_LOADS)[name]
            self.arity(e, 2 if store else 1, name)
            base, k, dyn = self.pkt_offset(e.args[0], f, pkt, size)
            if dyn is None:
                self.require_covered(e, f, pkt, base, k, size, "write" if store else "read")
            t = intr.UNSIGNED_BY_SIZE[size]
            if store:
                self.typed(e.args[1], f, t)
                self.coerce(e.args[1], t, f"packet {t.name} store")
            self.tf.info[e] = PktAccess(pkt, size, big, store, k, base, dyn)
            return lt.VOID if store else t
        if name in ("view", "ptr"):
            if name == "view":
                self.arity(e, 2, "view()")
                target = self.annotation(e.args[0])
                off_arg = e.args[1]
            else:
                self.arity(e, 1, "ptr()")
                target, off_arg = lt.U8, e.args[0]
            if target.size == 0 or isinstance(target, (lt.PtrType, lt.CtxType, lt.MapType)):
                raise self.err(e, f"cannot view packet bytes as {target.name}")
            base, k, dyn = self.pkt_offset(off_arg, f, pkt, target.size)
            what = "pointer" if name == "ptr" else f"view as {target.name}"
            if dyn is None:
                self.require_covered(e, f, pkt, base, k, target.size, what)
            self.tf.info[e] = PktPointer(pkt, k, base, target, dyn)
            return lt.PtrType(target)
        raise self.err(e.func, f"the packet has no method {name!r}",
                       "use has, has_at, len, u8/be16/be32/be64/le16/le32/le64, store_*, "
                       "view, ptr")

    def const_int(self, arg: ast.expr, f: Facts, what: str) -> int:
        t = self.expr(arg, f)
        c = self.tf.const.get(arg)
        if c is None or isinstance(c, bool) or not (t == lt.INT_LITERAL or isinstance(t, lt.IntType)):
            raise self.err(arg, f"the length given to {what} must be a constant",
                           "for a run-time length use pkt.has_at(off, n) with a constant n")
        if t == lt.INT_LITERAL:
            self.tf.ty[arg] = lt.U32
        if not 0 <= int(c) <= 0xFFFF:
            raise self.err(arg, f"packet length {c} is out of range (0..65535)")
        return int(c)

    def pkt_offset(self, arg: ast.expr, f: Facts, pkt: str | None = None, size: int = 0
                   ) -> tuple[str | None, int, ast.expr | None]:
        """Split a packet offset into (variable or None, constant); or, for an access whose
        run-time offset is provably inside the checked prefix, (None, 0, the expression)."""
        t = self.expr(arg, f)
        c = self.tf.const.get(arg)
        if c is not None:
            if t == lt.INT_LITERAL:
                self.tf.ty[arg] = lt.U32
            if not 0 <= int(c) <= 0xFFFF:
                raise self.err(arg, f"packet offset {c} is out of range (0..65535)")
            return None, int(c), None
        name, k = None, 0
        if isinstance(arg, ast.Name):
            name = arg.id
        elif isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Add):
            for a, b in ((arg.left, arg.right), (arg.right, arg.left)):
                if isinstance(a, ast.Name) and b in self.tf.const:
                    name, k = a.id, int(self.tf.const[b])
        if pkt is not None and isinstance(t, lt.IntType):
            if name is not None and f.covers(pkt, name, k, size):
                return name, k, None
            r = self.int_range(arg, f)
            if r is not None and r[0] >= 0 and r[1] + size <= f.pkt_len(pkt):
                return None, r[1], arg
        if name is None or not isinstance(t, lt.IntType) or not 0 <= k <= 0xFFFF:
            raise self.err(arg, "a packet offset must be a constant, a variable, or a variable "
                           "plus a constant", "assign the offset to a variable: `off = ...`, "
                           "check `pkt.has_at(off, n)`, then access `off + k` (or keep the "
                           "offset provably below a `pkt.has(n)` bound)")
        return name, k, None

    def require_covered(self, e: ast.AST, f: Facts, pkt: str, base: str | None, k: int,
                        size: int, what: str) -> None:
        if not f.covers(pkt, base or "", k, size):
            err = lt.unchecked_packet_access(None if base else k, size, what)
            hint = err.hint
            if base:
                hint = (f"check it first: `if not {pkt}.has_at({base}, {k + size}): return ...`"
                        if k else f"check it first: `if not {pkt}.has_at({base}, {size}): "
                        "return ...`")
            elif hint:
                hint = hint.replace("pkt.", f"{pkt}.")
            raise self.err(e, err.message, hint)

    # ---- facts of calls in conditions ----------------------------------------------------

    def call_facts(self, e: ast.Call, f: Facts) -> tuple[Point, Point] | None:
        info = self.tf.info.get(e)
        if isinstance(info, PktCheck):
            base = info.off_var or ""
            if info.n == 0:
                return f, f
            return f.with_dyn(info.pkt, base, info.off_const, info.off_const + info.n), f
        return None

    def pkt_reach(self, p: PktPointer, f: Facts) -> int:
        base = p.off_var or ""
        if not base and p.off < f.pkt_len(p.pkt):
            return f.pkt_len(p.pkt) - p.off
        iv = f.interval(p.pkt, base)
        return iv[1] - p.off if iv else 1
