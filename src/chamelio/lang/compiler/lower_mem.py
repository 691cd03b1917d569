"""Calls in pass 4, *lower*: casts, constructors, lang calls, helpers, maps, the context and
the packet (bounds checks as the ``data + n > data_end`` comparisons the kernel verifier
follows)."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from llvmlite import ir

from chamelio import abi
from chamelio.abi.kinds import ArgKind, RetKind, ValueKind
from chamelio.lang import types as lt
from chamelio.lang.compiler import lower_ops as ops
from chamelio.lang.compiler import lower_types as T
from chamelio.lang.compiler.lower_expr import ExprLowerer
from chamelio.lang.compiler.targets import NATIVE_CTX_PREFIX, NATIVE_HELPER_PREFIX
from chamelio.lang.compiler.typed import (
    Builtin,
    Cast,
    Construct,
    CtxField,
    ExternCall,
    FlowState,
    HelperCall,
    InfraCall,
    LangCall,
    MapOp,
    PacketOf,
    PktAccess,
    PktCheck,
    PktLen,
    PktPointer,
)

if TYPE_CHECKING:
    from chamelio.lang.compiler.lower import ModuleLowerer

_PREFIX_SLOT = {ValueKind.PTR_TO_PACKET: 0, ValueKind.PTR_TO_PACKET_END: 8,
                ValueKind.PTR_TO_PACKET_META: 16}
MAX_PACKET_OFF = 0xFFFF


class MemLowerer(ExprLowerer):
    ml: ModuleLowerer
    pkt_slots: dict[tuple[str, str], ir.Value]

    def alloca(self, ty: ir.Type, name: str = "", align: int = 8) -> ir.Value:
        raise NotImplementedError

    # ---- dispatch ----------------------------------------------------------------------------

    def call(self, e: ast.Call) -> ir.Value:
        info = self.tf.info[e]
        if isinstance(info, Cast):
            arg = e.args[0]
            return ops.cast(self.b, self.value(arg), self.tf.ty[arg], info.target)
        if isinstance(info, Construct):
            return self.construct(e, info.type)
        if isinstance(info, Builtin):
            t = self.tf.ty[e]
            assert isinstance(t, lt.IntType)
            return ops.minmax(self.b, info.name, self.value(e.args[0]), self.value(e.args[1]), t)
        if isinstance(info, LangCall):
            callee = self.ml.functions[info.key]
            return self.b.call(callee, [self.value(a) for a in e.args])
        if isinstance(info, HelperCall):
            return self.helper_call(e, info)
        if isinstance(info, MapOp):
            return self.map_op(e, info)
        if isinstance(info, PacketOf):
            return self.packet_of(e, info)
        if isinstance(info, PktCheck):
            return self.cond_value(e)
        if isinstance(info, PktAccess):
            return self.pkt_access(e, info)
        if isinstance(info, PktLen):
            data, end = self.pkt_pair(info.pkt)
            n = self.b.sub(self.b.ptrtoint(end, T.I64), self.b.ptrtoint(data, T.I64))
            return self.b.trunc(self.launder(n), T.I32)
        if isinstance(info, PktPointer):
            return self.pkt_address(info.pkt, info.off_var, info.off, info.off_expr)
        if isinstance(info, FlowState):
            return self.flow_state(e, info)
        if isinstance(info, ExternCall):
            return self.extern_call(e, info)
        if isinstance(info, InfraCall):
            return self.infra_call(e, info)
        raise AssertionError(f"cannot lower call {info}")  # pragma: no cover

    def construct(self, e: ast.Call, t: lt.LangType) -> ir.Value:
        slot = self.alloca(T.storage_type(t), "tmp", max(1, min(t.align, 8)))
        self.zero(slot, t.size)
        if isinstance(t, lt.StructType):
            for kw in e.keywords:
                assert kw.arg is not None
                fld = t.field(kw.arg)
                self.store_value(self.offset(slot, fld.offset), fld.type, self.value(kw.value),
                                 kw.value)
        return slot

    # ---- helpers -----------------------------------------------------------------------------

    def invoke_helper(self, helper: abi.Helper, args: list[ir.Value]) -> ir.Value:
        ret_ptr = helper.ret == RetKind.PTR_TO_MAP_VALUE_OR_NULL
        if self.target.is_bpf:
            fnty = ir.FunctionType(T.PTR if ret_ptr else T.I64, [a.type for a in args])
            callee = ir.Constant(T.I64, helper.id).inttoptr(T.PTR)
            callee.function_type = fnty
            return self.b.call(callee, args)
        regs = [self.b.ptrtoint(a, T.I64) if a.type == T.PTR else a for a in args]
        regs += [ir.Constant(T.I64, 0)] * (5 - len(regs))
        decl = self.ml.helper_decl(NATIVE_HELPER_PREFIX + helper.name,
                                   ir.FunctionType(T.I64, [T.I64] * 5))
        r = self.b.call(decl, regs)
        return self.b.inttoptr(r, T.PTR) if ret_ptr else r

    def to_i64(self, v: ir.Value, t: lt.LangType) -> ir.Value:
        if v.type == T.I64:
            return v
        if isinstance(t, lt.IntType) and t.signed:
            return self.b.sext(v, T.I64)
        return self.b.zext(v, T.I64)

    def helper_call(self, e: ast.Call, info: HelperCall) -> ir.Value:
        args: list[ir.Value] = []
        for arg, kind in zip(e.args, info.helper.args, strict=True):
            v = self.value(arg)
            if kind in (ArgKind.ANYTHING, ArgKind.CONST_SIZE, ArgKind.CONST_SIZE_OR_ZERO):
                v = self.to_i64(v, self.tf.ty[arg])
            args.append(v)
        r = self.invoke_helper(info.helper, args)
        if isinstance(info.ret, lt.IntType) and info.ret.bits < 64:
            return self.b.trunc(r, ir.IntType(info.ret.bits))
        return r

    # ---- the provider's primitives (native only) ------------------------------------------

    def extern_call(self, e: ast.Call, info: ExternCall) -> ir.Value:
        def c_type(t: lt.LangType) -> ir.Type:
            return T.I8 if isinstance(t, lt.BoolType) else T.reg_type(t)

        ext = info.ext
        fnty = ir.FunctionType(c_type(ext.ret_type), [c_type(t) for t in ext.arg_types])
        decl = self.ml.helper_decl(ext.name, fnty)
        args = []
        for a, t in zip(e.args, ext.arg_types, strict=True):
            v = self.value(a)
            args.append(self.b.zext(v, T.I8) if isinstance(t, lt.BoolType) else v)
        r = self.b.call(decl, args)
        if isinstance(ext.ret_type, lt.BoolType):
            return self.b.icmp_unsigned("!=", r, ir.Constant(T.I8, 0))
        return r

    def infra_call(self, e: ast.Call, info: InfraCall) -> ir.Value:
        from chamelio.lang.compiler.infra import LLVM_ORDER, Order

        args = list(e.args) + [kw.value for kw in e.keywords]
        order = LLVM_ORDER[Order(info.order)]
        if info.name == "raw_ptr":
            return self.b.inttoptr(self.value(args[1]), T.PTR)
        if info.name == "addr_of":
            return self.b.ptrtoint(self.value(args[0]), T.I64)
        if info.name == "fence":
            self.b.fence(order)
            return ir.Constant(T.I64, 0)
        p = self.value(args[0])
        ty = T.reg_type(info.target)
        size = info.target.size
        if info.name == "atomic_load":
            return self.b.load_atomic(p, order, size, typ=ty)
        if info.name == "atomic_store":
            # (IRBuilder.store_atomic insists on typed pointers; build the instruction directly)
            inst = ir.instructions.StoreAtomicInstr(self.b.block, self.value(args[1]), p, order,
                                                    size)
            self.b._insert(inst)
            return ir.Constant(T.I64, 0)
        if info.name == "atomic_add":
            return self.b.atomic_rmw("add", p, self.value(args[1]), order)
        fail = {"release": "monotonic", "acq_rel": "acquire"}.get(order, order)
        pair = self.b.cmpxchg(p, self.value(args[1]), self.value(args[2]), order, fail)
        return self.b.extract_value(pair, 0)

    # ---- maps ----------------------------------------------------------------------------------

    def mem_arg(self, e: ast.expr, t: lt.LangType) -> ir.Value:
        """A pointer to ``e``'s value of type ``t`` (scalars go through a stack slot)."""
        v = self.value(e)
        if isinstance(t, (lt.StructType, lt.ArrayType)):
            return v
        slot = self.alloca(T.mem_type(t), "arg", max(1, min(t.align, 8)))
        if isinstance(t, lt.BoolType):
            v = self.b.zext(v, T.I8)
        self.b.store(v, slot)
        return slot

    def map_op(self, e: ast.Call, info: MapOp) -> ir.Value:
        gv = self.ml.map_global(info.map_obj)
        args = list(e.args[info.first:]) + [kw.value for kw in e.keywords]
        key = self.mem_arg(args[0], info.type.key)
        if info.op == "lookup":
            return self.invoke_helper(abi.helper(1), [gv, key])
        if info.op == "delete":
            return self.invoke_helper(abi.helper(3), [gv, key])
        val = self.mem_arg(args[1], info.type.value)
        flags: ir.Value = ir.Constant(T.I64, abi.BPF_ANY)
        if len(args) > 2:
            flags = self.to_i64(self.value(args[2]), self.tf.ty[args[2]])
        return self.invoke_helper(abi.helper(2), [gv, key, val, flags])

    # ---- the context ---------------------------------------------------------------------------

    def ctx_type(self, e: ast.expr) -> lt.CtxType:
        t = self.tf.ty[e]
        assert isinstance(t, lt.CtxType)
        return t

    def prefixed(self, ctx: lt.CtxType) -> bool:
        """Native code reaches kernel contexts through a pointer prefix (see targets)."""
        return not self.target.is_bpf and ctx.hook.kernel_prog_type is not None

    def ctx_base(self, ctx: ir.Value) -> ir.Value:
        """On bpf, the context behind ``llvm.preserve.static.offset``: LLVM then keeps every
        field access a load at ``ctx + constant`` (the only form the verifier accepts)
        instead of moving the address arithmetic away from the load."""
        if not self.target.is_bpf:
            return ctx
        name = "llvm.preserve.static.offset"
        fn = self.fn.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.fn.module, ir.FunctionType(T.PTR, [T.PTR]), name)
        return self.b.call(fn, [ctx])

    def ctx_field_address(self, e: ast.Attribute) -> tuple[ir.Value, lt.LangType]:
        info = self.tf.info[e]
        assert isinstance(info, CtxField)
        ctx_t = self.ctx_type(e.value)
        off = info.field.offset + (NATIVE_CTX_PREFIX if self.prefixed(ctx_t) else 0)
        return self.offset(self.ctx_base(self.value(e.value)), off), info.type

    def ctx_pointer(self, ctx: ir.Value, ctx_t: lt.CtxType, kind: ValueKind) -> ir.Value:
        ctx = self.ctx_base(ctx)
        fld = next(f for f in ctx_t.layout.fields if f.kind == kind)
        if self.prefixed(ctx_t):
            return self.b.load(self.offset(ctx, _PREFIX_SLOT[kind]), typ=T.PTR, align=8)
        if fld.size == 4:  # xdp_md: a 32-bit load the kernel rewrites to a packet pointer
            v = self.b.load(self.offset(ctx, fld.offset), typ=T.I32, align=4)
            return self.b.inttoptr(self.b.zext(v, T.I64), T.PTR)
        return self.b.load(self.offset(ctx, fld.offset), typ=T.PTR, align=8)

    def packet_of(self, e: ast.Call, info: PacketOf) -> ir.Value:
        assert isinstance(e.func, ast.Attribute)
        ctx = self.value(e.func.value)
        data = self.ctx_pointer(ctx, info.ctx, ValueKind.PTR_TO_PACKET)
        end = self.ctx_pointer(ctx, info.ctx, ValueKind.PTR_TO_PACKET_END)
        pair = self.b.insert_value(ir.Constant(T.PACKET, ir.Undefined), data, 0)
        return self.b.insert_value(pair, end, 1)

    def flow_state(self, e: ast.Call, info: FlowState) -> ir.Value:
        assert isinstance(e.func, ast.Attribute)
        ctx_t = self.ctx_type(e.func.value)
        ctx = self.value(e.func.value)
        kind = ValueKind.PTR_TO_PFLOW_OR_NULL if info.provider else ValueKind.PTR_TO_FLOW_OR_NULL
        p = self.ctx_pointer(ctx, ctx_t, kind)
        if info.provider:
            return p
        size_f = ctx_t.layout.field("flow_state_size")
        size = self.b.load(self.offset(self.ctx_base(ctx), size_f.offset), typ=T.I32, align=4)
        small = self.b.icmp_unsigned("<", size, ir.Constant(T.I32, info.target.size))
        return self.b.select(small, ir.Constant(T.PTR, None), p)

    # ---- the packet ----------------------------------------------------------------------------

    def pkt_pair(self, pkt: str) -> tuple[ir.Value, ir.Value]:
        pair = self.b.load(self.var_slot(pkt), typ=T.PACKET)
        return self.b.extract_value(pair, 0), self.b.extract_value(pair, 1)

    def pkt_slot(self, pkt: str, base: str) -> ir.Value:
        key = (pkt, base)
        slot = self.pkt_slots.get(key)
        if slot is None:
            slot = self.pkt_slots[key] = self.alloca(T.PTR, f"{pkt}.at.{base}")
        return slot

    def passthrough(self, v: ir.Value) -> ir.Value:
        """On bpf, an optimisation barrier (``llvm.bpf.passthrough``): LLVM cannot look
        through it, so it neither merges the value into other arithmetic (pointer arithmetic
        the verifier refuses) nor drops a bounds clamp applied to the result."""
        if not self.target.is_bpf:
            return v
        suffix = "p0" if v.type == T.PTR else f"i{v.type.width}"
        name = f"llvm.bpf.passthrough.{suffix}.{suffix}"
        fn = self.fn.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.fn.module, ir.FunctionType(v.type, [T.I32, v.type]), name)
        seq = getattr(self.ml, "passthrough_seq", 0)
        self.ml.passthrough_seq = seq + 1  # type: ignore[attr-defined]
        return self.b.call(fn, [ir.Constant(T.I32, seq), v])

    def launder(self, v: ir.Value) -> ir.Value:
        """On bpf, pass ``v`` through a volatile stack slot. LLVM's code generator looks through
        ``llvm.bpf.passthrough`` (the BPF back end removes it before instruction selection),
        but never through a volatile load: what it computes from the result (a clamp, an
        ``add`` it would otherwise turn into ``or`` on a stack pointer) stays as written,
        and the verifier tracks the spilled register exactly."""
        if not self.target.is_bpf:
            return v
        slot = self.alloca(v.type, "launder")
        st = T.VolatileStore(self.b.block, v, slot)
        st.align = 8
        self.b._insert(st)
        ld = T.VolatileLoad(self.b.block, slot, typ=v.type)
        ld.align = 8
        self.b._insert(ld)
        return ld

    def clamp(self, v: ir.Value, hi: int) -> ir.Value:
        """``min(v, hi)`` behind a barrier, for the verifier: the checker proved ``v <= hi``,
        the kernel must see it too whatever LLVM did to the computation of ``v``."""
        if not self.target.is_bpf:
            return v
        v = self.launder(v)
        big = self.b.icmp_unsigned(">", v, ir.Constant(v.type, hi))
        return self.b.select(big, ir.Constant(v.type, hi), v)

    def pkt_check(self, e: ast.Call, true_bb: ir.Block, false_bb: ir.Block) -> bool:
        info = self.tf.info.get(e)
        if not isinstance(info, PktCheck):
            return False
        data, end = self.pkt_pair(info.pkt)
        base = data
        if info.off_var is not None:
            t = self.tf.locals[info.off_var]
            v = self.to_i64(self.b.load(self.var_slot(info.off_var), typ=T.reg_type(t)), t)
            ok = self.fn.append_basic_block("has_at.in_range")
            big = self.b.icmp_unsigned(">", v, ir.Constant(T.I64, MAX_PACKET_OFF))
            self.b.cbranch(big, false_bb, ok)
            self.b.position_at_end(ok)
            base = self.passthrough(self.b.gep(data, [v], source_etype=T.I8))
            self.b.store(base, self.pkt_slot(info.pkt, info.off_var))
        far = self.b.gep(base, [ir.Constant(T.I64, info.off_const + info.n)],
                         source_etype=T.I8)
        short = self.b.icmp_unsigned(">", far, end)
        self.b.cbranch(short, false_bb, true_bb)
        return True

    def pkt_address(self, pkt: str, off_var: str | None, off: int,
                    off_expr: ast.expr | None = None) -> ir.Value:
        if off_expr is not None:
            base, _ = self.pkt_pair(pkt)
            v = self.to_i64(self.value(off_expr), self.tf.ty[off_expr])
            return self.b.gep(base, [self.clamp(v, off)], source_etype=T.I8)
        if off_var is None:
            base, _ = self.pkt_pair(pkt)
        else:
            base = self.b.load(self.pkt_slot(pkt, off_var), typ=T.PTR)
        return self.offset(base, off)

    def pkt_access(self, e: ast.Call, info: PktAccess) -> ir.Value:
        addr = self.pkt_address(info.pkt, info.off_var, info.off, info.off_expr)
        ty = ir.IntType(info.size * 8)
        align = info.size if self.target.is_bpf else 1
        swap = info.big_endian and info.size > 1
        bswap: Any = None
        if swap:
            bswap = self.fn.module.declare_intrinsic("llvm.bswap", [ty])
        if info.store:
            v = self.value(e.args[1])
            if swap:
                v = self.b.call(bswap, [v])
            self.b.store(v, addr, align=align)
            return ir.Constant(T.I64, 0)
        v = self.b.load(addr, typ=ty, align=align)
        return self.b.call(bswap, [v]) if swap else v
