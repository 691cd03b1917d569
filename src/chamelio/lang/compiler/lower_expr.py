"""Expressions and conditions in pass 4, *lower*."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from llvmlite import ir

from chamelio.lang import types as lt
from chamelio.lang.compiler import lower_ops as ops
from chamelio.lang.compiler import lower_types as T
from chamelio.lang.compiler.check_expr import BINOPS, CMPOPS
from chamelio.lang.compiler.typed import FieldRef, Index, PktCheck

if TYPE_CHECKING:
    from chamelio.lang.compiler.targets import Target
    from chamelio.lang.compiler.typed import TypedFunction


class ExprLowerer:
    b: ir.IRBuilder
    fn: ir.Function
    tf: TypedFunction
    target: Target

    def var_slot(self, name: str) -> ir.Value:
        raise NotImplementedError

    def call(self, e: ast.Call) -> ir.Value:
        raise NotImplementedError

    def ctx_field_address(self, e: ast.Attribute) -> tuple[ir.Value, lt.LangType]:
        raise NotImplementedError

    def pkt_check(self, e: ast.Call, true_bb: ir.Block, false_bb: ir.Block) -> bool:
        raise NotImplementedError

    def clamp(self, v: ir.Value, hi: int) -> ir.Value:
        raise NotImplementedError

    def launder(self, v: ir.Value) -> ir.Value:
        raise NotImplementedError

    # ---- values ------------------------------------------------------------------------------

    def constant(self, t: lt.LangType, v: Any) -> ir.Value:
        if isinstance(t, lt.BoolType):
            return ir.Constant(T.I1, int(bool(v)))
        if isinstance(t, lt.IntType):
            return ops.const(ir.IntType(t.bits), int(v))
        return ops.const(T.I64, int(v))  # an untyped literal nobody consumed

    def value(self, e: ast.expr) -> ir.Value:
        t = self.tf.ty.get(e)
        if e in self.tf.const and t is not None:
            return self.constant(t, self.tf.const[e])
        if isinstance(e, ast.Name):
            assert t is not None
            return self.b.load(self.var_slot(e.id), typ=T.reg_type(t))
        if isinstance(e, ast.BinOp):
            assert t is not None
            return self.arith(BINOPS[type(e.op)], self.value(e.left), self.value(e.right), t)
        if isinstance(e, ast.UnaryOp):
            return self.unary(e)
        if isinstance(e, (ast.BoolOp, ast.Compare)):
            return self.cond_value(e)
        if isinstance(e, ast.IfExp):
            return self.ifexp(e)
        if isinstance(e, ast.Call):
            return self.call(e)
        if isinstance(e, (ast.Attribute, ast.Subscript)):
            addr, at = self.address(e)
            return self.load_value(addr, at, through_pointer=True)
        raise AssertionError(f"cannot lower {type(e).__name__}")  # pragma: no cover

    def arith(self, op: str, x: ir.Value, y: ir.Value, t: lt.LangType) -> ir.Value:
        if isinstance(t, lt.BoolType):
            return {"&": self.b.and_, "|": self.b.or_, "^": self.b.xor}[op](x, y)
        assert isinstance(t, lt.IntType)
        return ops.binop(self.b, op, x, y, t, self.target.native_sdiv)

    def unary(self, e: ast.UnaryOp) -> ir.Value:
        if isinstance(e.op, ast.Not):
            return self.cond_value(e)
        v = self.value(e.operand)
        if isinstance(e.op, ast.USub):
            return self.b.sub(ops.const(v.type, 0), v)
        if isinstance(e.op, ast.Invert):
            return self.b.xor(v, ops.const(v.type, -1))
        return v

    def ifexp(self, e: ast.IfExp) -> ir.Value:
        c = self.tf.const.get(e.test)
        if c is not None:
            return self.value(e.body if c else e.orelse)
        t_bb = self.fn.append_basic_block("ifexp.then")
        f_bb = self.fn.append_basic_block("ifexp.else")
        end = self.fn.append_basic_block("ifexp.end")
        self.branch(e.test, t_bb, f_bb)
        self.b.position_at_end(t_bb)
        tv = self.value(e.body)
        t_end = self.b.block
        self.b.branch(end)
        self.b.position_at_end(f_bb)
        fv = self.value(e.orelse)
        f_end = self.b.block
        self.b.branch(end)
        self.b.position_at_end(end)
        phi = self.b.phi(tv.type)
        phi.add_incoming(tv, t_end)
        phi.add_incoming(fv, f_end)
        return phi

    # ---- memory --------------------------------------------------------------------------------

    def address(self, e: ast.expr) -> tuple[ir.Value, lt.LangType]:
        """The address of a field, element or context field, and the type stored there."""
        info = self.tf.info.get(e)
        if isinstance(info, FieldRef):
            assert isinstance(e, ast.Attribute)
            base = self.value(e.value)
            return self.offset(base, info.offset), info.type
        if isinstance(info, Index):
            assert isinstance(e, ast.Subscript)
            base = self.value(e.value)
            idx = self.value(e.slice)
            it = self.tf.ty[e.slice]
            signed = isinstance(it, lt.IntType) and it.signed
            if idx.type != T.I64:
                idx = self.b.sext(idx, T.I64) if signed else self.b.zext(idx, T.I64)
            if not info.is_ptr and e.slice not in self.tf.const:
                idx = self.clamp(idx, info.length - 1)  # proven; for the verifier
                base = self.launder(base)  # keeps "fp + off" an add, not an or
            step = self.b.mul(idx, ir.Constant(T.I64, max(1, info.elem.size)))
            return self.b.gep(base, [step], source_etype=T.I8), info.elem
        if isinstance(e, ast.Attribute):
            return self.ctx_field_address(e)
        raise AssertionError(f"no address for {type(e).__name__}")  # pragma: no cover

    def store_address(self, e: ast.expr) -> tuple[ir.Value, lt.LangType]:
        return self.address(e)

    def offset(self, base: ir.Value, off: int) -> ir.Value:
        if off == 0:
            return base
        return self.b.gep(base, [ir.Constant(T.I64, off)], source_etype=T.I8)

    def load_value(self, addr: ir.Value, t: lt.LangType, through_pointer: bool) -> ir.Value:
        if isinstance(t, (lt.StructType, lt.ArrayType)):
            return addr  # a view: the value is its address
        align = self.target.mem_align(t, through_pointer)
        if isinstance(t, lt.BoolType):
            v = self.b.load(addr, typ=T.I8, align=align)
            return self.b.icmp_unsigned("!=", v, ir.Constant(T.I8, 0))
        return self.b.load(addr, typ=T.reg_type(t), align=align)

    def store_value(self, addr: ir.Value, t: lt.LangType, v: ir.Value,
                    node: ast.AST | None) -> None:
        if isinstance(t, (lt.StructType, lt.ArrayType)):
            self.copy(addr, v, t.size)
            return
        align = self.target.mem_align(t, True)
        if isinstance(t, lt.BoolType):
            v = self.b.zext(v, T.I8)
        self.b.store(v, addr, align=align)

    def copy(self, dst: ir.Value, src: ir.Value, size: int) -> None:
        memcpy = self.fn.module.declare_intrinsic("llvm.memcpy", [T.PTR, T.PTR, T.I64])
        self.b.call(memcpy, [dst, src, ir.Constant(T.I64, size), ir.Constant(T.I1, 0)])

    def zero(self, dst: ir.Value, size: int) -> None:
        memset = self.fn.module.declare_intrinsic("llvm.memset", [T.PTR, T.I64])
        self.b.call(memset, [dst, ir.Constant(T.I8, 0), ir.Constant(T.I64, size),
                             ir.Constant(T.I1, 0)])

    # ---- conditions ----------------------------------------------------------------------------

    def cond_value(self, e: ast.expr) -> ir.Value:
        """A condition as an ``i1`` value."""
        if e in self.tf.const:
            return ir.Constant(T.I1, int(bool(self.tf.const[e])))
        if isinstance(e, ast.Compare):
            return self.compare(e)
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
            return self.b.xor(self.cond_value(e.operand), ir.Constant(T.I1, 1))
        if isinstance(e, ast.BoolOp) or isinstance(self.tf.info.get(e), PktCheck):
            t_bb = self.fn.append_basic_block("cond.true")
            f_bb = self.fn.append_basic_block("cond.false")
            end = self.fn.append_basic_block("cond.end")
            self.branch(e, t_bb, f_bb)
            for bb in (t_bb, f_bb):
                self.b.position_at_end(bb)
                self.b.branch(end)
            self.b.position_at_end(end)
            phi = self.b.phi(T.I1)
            phi.add_incoming(ir.Constant(T.I1, 1), t_bb)
            phi.add_incoming(ir.Constant(T.I1, 0), f_bb)
            return phi
        return self.truth(self.value(e), self.tf.ty[e])

    def truth(self, v: ir.Value, t: lt.LangType) -> ir.Value:
        if isinstance(t, lt.BoolType):
            return v
        if isinstance(t, lt.PtrType):
            return self.b.icmp_unsigned("!=", v, ir.Constant(T.PTR, None))
        return self.b.icmp_unsigned("!=", v, ops.const(v.type, 0))

    def compare(self, e: ast.Compare) -> ir.Value:
        op = CMPOPS[type(e.ops[0])]
        left, right = e.left, e.comparators[0]
        if op in ("is", "is not"):
            v = self.value(left)
            return self.b.icmp_unsigned("==" if op == "is" else "!=", v,
                                        ir.Constant(T.PTR, None))
        t = self.tf.ty[left]
        return ops.compare(self.b, op, self.value(left), self.value(right), t)

    def branch(self, e: ast.expr, true_bb: ir.Block, false_bb: ir.Block) -> None:
        """Jump to ``true_bb`` or ``false_bb`` on condition ``e`` (short-circuiting)."""
        c = self.tf.const.get(e)
        if c is not None:
            self.b.branch(true_bb if c else false_bb)
            return
        if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.Not):
            self.branch(e.operand, false_bb, true_bb)
            return
        if isinstance(e, ast.BoolOp):
            is_and = isinstance(e.op, ast.And)
            for v in e.values[:-1]:
                nxt = self.fn.append_basic_block("and.next" if is_and else "or.next")
                if is_and:
                    self.branch(v, nxt, false_bb)
                else:
                    self.branch(v, true_bb, nxt)
                self.b.position_at_end(nxt)
            self.branch(e.values[-1], true_bb, false_bb)
            return
        if isinstance(e, ast.Call) and self.pkt_check(e, true_bb, false_bb):
            return
        self.b.cbranch(self.cond_value(e), true_bb, false_bb)
