"""Pass 4, *lower*: the checked program → an LLVM IR module (llvmlite).

One IR function per lang function; the entry is the program (bpf: in its hook's section) or
the exported native function; the others are internal (always inlined on bpf). Every local
lives in an ``alloca`` of the entry block, which the optimiser promotes to registers.
"""

from __future__ import annotations

import ast
import linecache
import os
import re
from typing import Any

from llvmlite import ir

from chamelio.lang import types as lt
from chamelio.lang.bpf.debuginfo import DebugInfo, DIType
from chamelio.lang.bpf.libbpf import add_license, set_program_section
from chamelio.lang.compiler import lower_types as T
from chamelio.lang.compiler.check_expr import BINOPS
from chamelio.lang.compiler.lower_mem import MemLowerer
from chamelio.lang.compiler.targets import Target
from chamelio.lang.compiler.typed import Program, TypedFunction


class ModuleLowerer:
    def __init__(self, program: Program, target: Target, license: str = "GPL") -> None:
        self.program = program
        self.target = target
        entry = program.entry
        self.module = ir.Module(name=entry.name)
        self.module.triple = target.triple
        self.module.data_layout = target.data_layout
        self.di: DebugInfo | None = None
        self.license = license
        if target.is_bpf:
            file = entry.src.loc.file
            text = "".join(linecache.getlines(file)) or None  # line text in .BTF.ext
            self.di = DebugInfo(self.module, os.path.basename(file),
                                os.path.dirname(os.path.abspath(file)) if os.path.exists(file)
                                else ".", source=text)
        self.maps: dict[int, ir.GlobalVariable] = {}
        self.functions: list[ir.Function] = []
        self.helper_decls: dict[str, ir.Function] = {}
        self.subprograms: dict[int, Any] = {}

    # ---- the module ----------------------------------------------------------------------

    def lower(self) -> ir.Module:
        for i, tf in enumerate(self.program.functions):
            self.functions.append(self.declare(tf, i == 0))
        if self.target.is_bpf:
            add_license(self.module, self.license)
        for i, tf in enumerate(self.program.functions):
            FunctionLowerer(self, tf, self.functions[i]).lower()
        if not self.target.is_bpf and batch_capable(self.program.entry):
            self.batch_entry(self.functions[0], self.program.entry)
        return self.module

    def batch_entry(self, entry: ir.Function, tf: TypedFunction) -> None:
        """``void <entry>__batch(ptr ctxs, i64 n, ptr out)``: ``out[i] = entry(ctxs[i])`` as
        64-bit values, so one call from the host covers many packets."""
        fn = ir.Function(self.module, ir.FunctionType(T.VOID, [T.PTR, T.I64, T.PTR]),
                         batch_symbol(tf))
        fn.attributes.add("nounwind")
        ctxs, n, out = fn.args
        entry_bb, head, body, end = (fn.append_basic_block(x) for x in
                                     ("entry", "head", "body", "end"))
        b = ir.IRBuilder(entry_bb)
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(T.I64)
        i.add_incoming(ir.Constant(T.I64, 0), entry_bb)
        b.cbranch(b.icmp_unsigned("<", i, n), body, end)
        b.position_at_end(body)
        ctx = b.load(b.gep(ctxs, [i], source_etype=T.PTR), typ=T.PTR)
        r = b.call(entry, [ctx])
        if r.type != T.I64:
            signed = isinstance(tf.ret, lt.IntType) and tf.ret.signed
            r = b.sext(r, T.I64) if signed else b.zext(r, T.I64)
        b.store(r, b.gep(out, [i], source_etype=T.I64))
        nxt = b.add(i, ir.Constant(T.I64, 1))
        i.add_incoming(nxt, body)
        b.branch(head)
        b.position_at_end(end)
        b.ret_void()

    def ir_params(self, tf: TypedFunction, entry: bool) -> list[ir.Type]:
        out: list[ir.Type] = []
        for _, t in tf.params:
            out.append(T.reg_type(t))
        return out

    def ret_type(self, tf: TypedFunction, entry: bool) -> ir.Type:
        if entry and self.target.is_bpf:
            bits = tf.ret.bits if isinstance(tf.ret, lt.IntType) else 32
            return T.I64 if bits > 32 else T.I32
        return T.reg_type(tf.ret)

    def declare(self, tf: TypedFunction, entry: bool) -> ir.Function:
        fnty = ir.FunctionType(self.ret_type(tf, entry), self.ir_params(tf, entry))
        fn = ir.Function(self.module, fnty, tf.name)
        for arg, (pname, _) in zip(fn.args, tf.params, strict=True):
            arg.name = pname
        fn.attributes.add("nounwind")
        if entry:
            if self.target.is_bpf:
                assert self.program.hook is not None
                set_program_section(fn, self.program.hook.section)
        else:
            fn.linkage = "internal"
            if self.target.is_bpf:
                fn.attributes.add("alwaysinline")
        if self.di is not None:
            params = [self.di_type(t) for _, t in tf.params]
            ret = None if tf.ret == lt.VOID else self.di_type(tf.ret)
            line = tf.src.loc.position(tf.src.node)[0] or 0
            self.subprograms[id(fn)] = self.di.add_function(
                fn, tf.name, line, params, ret, [n for n, _ in tf.params])
        return fn

    def di_type(self, t: lt.LangType) -> DIType:
        assert self.di is not None
        if isinstance(t, lt.IntType):
            return self.di.int_type(t.bits, t.signed)
        if isinstance(t, lt.BoolType):
            return self.di.bool_type()
        if isinstance(t, lt.ArrayType):
            return self.di.array_type(self.di_type(t.elem), t.length)
        if isinstance(t, lt.StructType):
            fields = [(n, self.di_type(ft), off * 8, ft.size * 8) for n, ft, off in t.fields]
            return self.di.struct_type(t.name, fields, t.size * 8)
        return self.di.pointer(None)

    def map_global(self, obj: Any) -> ir.GlobalVariable:
        key = id(obj)
        gv = self.maps.get(key)
        if gv is not None:
            return gv
        name, _ = self.program.maps[key]
        mt: lt.MapType = obj.__lang_type__
        if self.di is not None:
            gv = self.di.define_map(name, int(mt.kind), mt.max_entries, self.di_type(mt.key),
                                    self.di_type(mt.value))
        else:
            gv = ir.GlobalVariable(self.module, T.I8, native_map_symbol(name))
            gv.linkage = "external"
        self.maps[key] = gv
        return gv

    def helper_decl(self, name: str, fnty: ir.FunctionType) -> ir.Function:
        fn = self.helper_decls.get(name)
        if fn is None:
            fn = ir.Function(self.module, fnty, name)
            fn.attributes.add("nounwind")
            self.helper_decls[name] = fn
        return fn


class FunctionLowerer(MemLowerer):
    def __init__(self, ml: ModuleLowerer, tf: TypedFunction, fn: ir.Function) -> None:
        self.ml = ml
        self.tf = tf
        self.fn = fn
        self.target = ml.target
        self.entry_block = fn.append_basic_block("entry")
        self.alloca_builder = ir.IRBuilder(self.entry_block)
        body = fn.append_basic_block("body")
        self.b = ir.IRBuilder(body)
        self.vars: dict[str, ir.Value] = {}
        self.pkt_slots: dict[tuple[str, str], ir.Value] = {}
        self.loops: list[tuple[ir.Block, ir.Block]] = []
        self.scope = ml.subprograms.get(id(fn))
        self.ctx_value: ir.Value | None = None

    # ---- storage -----------------------------------------------------------------------------

    def alloca(self, ty: ir.Type, name: str = "", align: int = 8) -> ir.Value:
        slot = self.alloca_builder.alloca(ty, name=name)
        slot.align = align
        slot.type = T.PTR  # opaque, whatever llvmlite's typed-pointer printing default is
        return slot

    def var_slot(self, name: str) -> ir.Value:
        slot = self.vars.get(name)
        if slot is None:
            t = self.tf.locals[name]
            slot = self.vars[name] = self.alloca(T.reg_type(t), _ident(name))
        return slot

    def lower(self) -> None:
        self.set_location(self.tf.src.node)
        for arg, (pname, t) in zip(self.fn.args, self.tf.params, strict=True):
            self.b.store(arg, self.var_slot(pname))
            if isinstance(t, lt.CtxType) and self.ctx_value is None:
                self.ctx_value = arg
        body = self.tf.src.node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        self.block(body)
        if not self.b.block.is_terminated:
            if self.tf.ret == lt.VOID:
                self.b.ret_void()
            else:
                self.b.unreachable()  # the checker proved every path returns
        self.alloca_builder.branch(self.fn.blocks[1])

    def set_location(self, node: ast.AST) -> None:
        if self.scope is None or self.ml.di is None:
            return
        line, col = self.tf.src.loc.position(node)
        self.b.debug_metadata = self.ml.di.location(line or 0, col or 0, self.scope)
        self.alloca_builder.debug_metadata = self.b.debug_metadata

    # ---- statements ------------------------------------------------------------------------

    def block(self, stmts: list[ast.stmt]) -> None:
        for s in stmts:
            if self.b.block.is_terminated:
                return
            if s in self.tf.dead:
                continue  # the checker proved no path reaches it
            self.set_location(s)
            self.stmt(s)

    def stmt(self, s: ast.stmt) -> None:
        if isinstance(s, ast.Pass):
            return
        if isinstance(s, ast.Expr):
            self.value(s.value)
        elif isinstance(s, ast.Return):
            self.return_(s)
        elif isinstance(s, ast.Assign):
            self.assign(s.targets[0], s.value)
        elif isinstance(s, ast.AnnAssign):
            if s.value is not None:
                self.assign(s.target, s.value)
        elif isinstance(s, ast.AugAssign):
            self.aug_assign(s)
        elif isinstance(s, ast.If):
            self.if_(s)
        elif isinstance(s, ast.While):
            self.while_(s)
        elif isinstance(s, ast.For):
            self.for_(s)
        elif isinstance(s, ast.Break):
            self.b.branch(self.loops[-1][1])
        elif isinstance(s, ast.Continue):
            self.b.branch(self.loops[-1][0])
        else:  # pragma: no cover - the checker rejected it
            raise AssertionError(type(s).__name__)

    def return_(self, s: ast.Return) -> None:
        if s.value is None:
            self.b.ret_void()
            return
        v = self.value(s.value)
        want = self.fn.function_type.return_type
        if v.type != want:
            t = self.tf.ret
            signed = isinstance(t, lt.IntType) and t.signed
            v = self.b.sext(v, want) if signed else self.b.zext(v, want)
        self.b.ret(v)

    def assign(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self.b.store(self.value(value), self.var_slot(target.id))
            return
        addr, t = self.store_address(target)
        self.store_value(addr, t, self.value(value), value)

    def aug_assign(self, s: ast.AugAssign) -> None:
        op = BINOPS[type(s.op)]
        if isinstance(s.target, ast.Name):
            t = self.tf.locals[s.target.id]
            slot = self.var_slot(s.target.id)
            old = self.b.load(slot, typ=T.reg_type(t))
            self.b.store(self.arith(op, old, self.value(s.value), t), slot)
            return
        addr, t = self.store_address(s.target)
        old = self.load_value(addr, t, through_pointer=True)
        self.store_value(addr, t, self.arith(op, old, self.value(s.value), t), None)

    def if_(self, s: ast.If) -> None:
        c = self.tf.const.get(s.test)
        if c is not None:
            self.block(s.body if c else s.orelse)
            return
        then_bb = self.fn.append_basic_block("then")
        else_bb = self.fn.append_basic_block("else") if s.orelse else None
        end_bb = self.fn.append_basic_block("endif")
        self.branch(s.test, then_bb, else_bb or end_bb)
        self.b.position_at_end(then_bb)
        self.block(s.body)
        if not self.b.block.is_terminated:
            self.b.branch(end_bb)
        if else_bb is not None:
            self.b.position_at_end(else_bb)
            self.block(s.orelse)
            if not self.b.block.is_terminated:
                self.b.branch(end_bb)
        self.b.position_at_end(end_bb)
        if not end_bb.instructions and not _has_preds(self.fn, end_bb):
            self.b.unreachable()

    def while_(self, s: ast.While) -> None:
        c = self.tf.const.get(s.test)
        if c is not None and not c:
            return
        head = self.fn.append_basic_block("while.head")
        body = self.fn.append_basic_block("while.body")
        end = self.fn.append_basic_block("while.end")
        self.b.branch(head)
        self.b.position_at_end(head)
        if c is None:
            self.branch(s.test, body, end)
        else:
            self.b.branch(body)
        self.b.position_at_end(body)
        self.loops.append((head, end))
        self.block(s.body)
        self.loops.pop()
        if not self.b.block.is_terminated:
            self.b.branch(head)
        self.b.position_at_end(end)
        if not _has_preds(self.fn, end):
            self.b.unreachable()

    def for_(self, s: ast.For) -> None:
        loop = self.tf.loops[s]
        n = len(range(loop.start, loop.stop, loop.step))
        if n == 0:
            return
        var_t = loop.type
        assert isinstance(var_t, lt.IntType)
        # a hidden i64 counter drives the loop; the variable gets its value at each iteration
        ctr = self.alloca(T.I64, f"{_ident(loop.var)}.ctr")
        self.b.store(ir.Constant(T.I64, loop.start), ctr)
        head = self.fn.append_basic_block("for.head")
        body = self.fn.append_basic_block("for.body")
        latch = self.fn.append_basic_block("for.latch")
        end = self.fn.append_basic_block("for.end")
        self.b.branch(head)
        self.b.position_at_end(head)
        cur = self.b.load(ctr, typ=T.I64)
        last = loop.start + (n - 1) * loop.step
        more = self.b.icmp_signed("<=" if loop.step > 0 else ">=", cur,
                                  ir.Constant(T.I64, last))
        self.b.cbranch(more, body, end)
        self.b.position_at_end(body)
        v = cur if var_t.bits == 64 else self.b.trunc(cur, ir.IntType(var_t.bits))
        self.b.store(v, self.var_slot(loop.var))
        self.loops.append((latch, end))
        self.block(s.body)
        self.loops.pop()
        if not self.b.block.is_terminated:
            self.b.branch(latch)
        self.b.position_at_end(latch)
        self.b.store(self.b.add(self.b.load(ctr, typ=T.I64), ir.Constant(T.I64, loop.step)), ctr)
        self.b.branch(head)
        self.b.position_at_end(end)


def native_map_symbol(name: str) -> str:
    """The symbol a native module imports for a map's handle."""
    return f"__chamelio_map_{name}"


def batch_capable(tf: TypedFunction) -> bool:
    return len(tf.params) == 1 and isinstance(tf.params[0][1], lt.CtxType) and \
        isinstance(tf.ret, (lt.IntType, lt.BoolType))


def batch_symbol(tf: TypedFunction) -> str:
    return f"{tf.name}__batch"


def _has_preds(fn: ir.Function, bb: ir.Block) -> bool:
    for other in fn.blocks:
        term = other.terminator
        if term is not None and bb in getattr(term, "operands", ()):
            return True
    return False


def _ident(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.]", "_", name)
