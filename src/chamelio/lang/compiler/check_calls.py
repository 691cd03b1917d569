"""Calls in pass 3, *check*: casts, constructors, helpers, maps, the context and the packet."""

from __future__ import annotations

import ast
from typing import Any

from chamelio import abi
from chamelio.abi.kinds import ArgKind, RetKind, ValueKind
from chamelio.lang import intops
from chamelio.lang import types as lt
from chamelio.lang.compiler import intrinsics as intr
from chamelio.lang.compiler.check_packet import PacketChecker
from chamelio.lang.compiler.facts import Facts
from chamelio.lang.compiler.resolve import MISSING
from chamelio.lang.compiler.typed import (
    Builtin,
    Cast,
    Construct,
    CtxField,
    FlowState,
    HelperCall,
    LangCall,
    MapOp,
    PacketOf,
    PktPointer,
    TypedFunction,
)

_POINTER_HINTS = {
    ValueKind.PTR_TO_PACKET: "use ctx.packet()",
    ValueKind.PTR_TO_PACKET_END: "use ctx.packet() and its has()/len()",
    ValueKind.PTR_TO_PACKET_META: "packet metadata is not supported",
    ValueKind.PTR_TO_FLOW_OR_NULL: "use ctx.flow_state(MyFlowState)",
    ValueKind.PTR_TO_PFLOW_OR_NULL: "use ctx.provider_flow()",
}
_MEM_KINDS = (ArgKind.PTR_TO_MEM, ArgKind.PTR_TO_UNINIT_MEM)
_SIZE_KINDS = (ArgKind.CONST_SIZE, ArgKind.CONST_SIZE_OR_ZERO)
MAX_BPF_ARGS = 5


class CallChecker(PacketChecker):
    hook: abi.Hook | None
    nullable: set[ast.AST]

    # supplied by the function checker
    def lang_signature(self, fn: Any, node: ast.AST) -> TypedFunction:
        raise NotImplementedError

    def lang_callee(self, fn: Any, node: ast.AST, pyint_params: frozenset[str]
                    ) -> tuple[int, TypedFunction]:
        raise NotImplementedError

    def register_map(self, obj: Any, node: ast.AST) -> None:
        raise NotImplementedError

    # ---- dispatch ----------------------------------------------------------------------------

    def call(self, e: ast.Call, f: Facts, expected: lt.LangType | None) -> lt.LangType:
        fobj = self.static_obj(e.func)
        if fobj is not MISSING:
            return self.static_call(e, fobj, f)
        if isinstance(e.func, ast.Attribute):
            base = self.expr(e.func.value, f)
            if isinstance(base, lt.CtxType):
                return self.ctx_method(e, base, f)
            if isinstance(base, lt.PacketType):
                return self.pkt_method(e, f)
            raise self.err(e.func, f"{base.name} has no method {e.func.attr!r}")
        raise self.err(e.func, "only lang functions, helpers, casts, constructors and methods "
                       "of maps, the context and the packet can be called")

    def static_call(self, e: ast.Call, obj: Any, f: Facts) -> lt.LangType:
        if intr.is_map_method(obj):
            return self.map_call(e, obj.__self__, obj.__name__, f)
        cast_to = lt.BOOL if obj is bool else intr.int_class_type(obj)
        if cast_to is not None:
            return self.cast(e, cast_to, f)
        st = intr.struct_class_type(obj)
        if st is not None:
            return self.construct_struct(e, st, f)
        at = intr.array_alias_type(obj)
        if at is not None:
            self.arity(e, 0, at.name)
            self.no_keywords(e, at.name)
            self.tf.info[e] = Construct(at)
            return at
        helper = intr.helper_for(obj)
        if helper is not None:
            return self.helper_call(e, helper, f)
        name = intr.builtin_name(obj)
        if name is not None:
            return self.builtin_call(e, name, f)
        name = intr.infra_name(obj)
        if name is not None:
            return self.infra_call(e, name, f)
        if intr.is_extern(obj):
            return self.extern_call(e, obj, f)
        if intr.is_lang_function(obj):
            return self.lang_call(e, obj, f)
        what = getattr(obj, "__name__", None) or type(obj).__name__
        raise self.err(e.func, f"{what} cannot be called in a handler",
                       "call lang functions, helpers, casts (u32(x)) and constructors only")

    # ---- casts, constructors, builtins -----------------------------------------------------

    def cast(self, e: ast.Call, target: lt.LangType, f: Facts) -> lt.LangType:
        self.no_keywords(e, target.name)
        self.arity(e, (0, 1), target.name)
        self.tf.info[e] = Cast(target)
        if not e.args:
            self.tf.const[e] = False if target == lt.BOOL else 0
            return target
        arg = e.args[0]
        t = self.expr(arg, f)
        src = self.operand(arg)
        try:
            lt.check_cast(src, target)
        except lt.LangTypeError as exc:
            raise self.from_type_error(e, exc) from None
        v = self.tf.const.get(arg)
        if t == lt.INT_LITERAL:
            self.tf.ty[arg] = lt.I64 if int(v or 0) < 0 else lt.U64
            if not lt.I64.fits(int(v or 0)) and not lt.U64.fits(int(v or 0)):
                raise self.err(arg, f"literal {v} does not fit in 64 bits")
        if v is not None:
            if isinstance(target, lt.IntType):
                self.tf.const[e] = intops.cast(int(v), target.bits, target.signed)
            else:
                self.tf.const[e] = bool(v)
        return target

    def construct_struct(self, e: ast.Call, st: lt.StructType, f: Facts) -> lt.LangType:
        if e.args:
            raise self.err(e, f"{st.name}() takes fields by keyword only",
                           f"write {st.name}({st.fields[0][0]}=...)")
        for kw in e.keywords:
            if kw.arg is None:
                raise self.err(kw.value, "**kwargs is not supported")
            try:
                fld = st.field(kw.arg)
            except lt.LangTypeError as exc:
                raise self.from_type_error(kw.value, exc) from None
            if not isinstance(fld.type, (lt.IntType, lt.BoolType)):
                raise self.err(kw.value, f"field {kw.arg} of type {fld.type.name} cannot be set "
                               "in the constructor", "assign it afterwards")
            self.typed(kw.value, f, fld.type)
            self.coerce(kw.value, fld.type, f"field {kw.arg}")
        self.tf.info[e] = Construct(st)
        return st

    def builtin_call(self, e: ast.Call, name: str, f: Facts) -> lt.LangType:
        self.no_keywords(e, f"{name}()")
        if name in ("min", "max"):
            self.arity(e, 2, f"{name}()")
            a = self.expr(e.args[0], f)
            b = self.expr(e.args[1], f)
            t = b if a == lt.INT_LITERAL else a
            if t == lt.INT_LITERAL or not isinstance(t, lt.IntType):
                raise self.err(e, f"{name}() needs two integers of one type",
                               f"give one a type: {name}(u32(x), 5)")
            self.coerce(e.args[0], t)
            self.coerce(e.args[1], t)
            self.tf.info[e] = Builtin(name)
            ca, cb = self.tf.const.get(e.args[0]), self.tf.const.get(e.args[1])
            if ca is not None and cb is not None:
                self.tf.const[e] = (min if name == "min" else max)(int(ca), int(cb))
            return t
        if name == "len":
            self.arity(e, 1, "len()")
            t = self.expr(e.args[0], f)
            if isinstance(t, lt.ArrayType):
                self.tf.const[e] = t.length
                return lt.INT_LITERAL
            raise self.err(e, f"len() of a {t.name} is not supported",
                           "use len() on arrays, pkt.len() on the packet")
        if name == "range":
            raise self.err(e, "range() can only be used in `for i in range(...)`")
        if name == "abs":
            err = lt.unsupported_op("abs")
            raise self.err(e, err.message, err.hint)
        if name == "int":
            raise self.err(e, "'int' is not a lang type",
                           "pick a width: u8, u16, u32, u64, i8 .. i64")
        raise self.err(e, f"{name}() is not supported in handlers")

    # ---- lang functions ----------------------------------------------------------------------

    def lang_call(self, e: ast.Call, fn: Any, f: Facts) -> lt.LangType:
        self.no_keywords(e, fn.__name__)
        sig = self.lang_signature(fn, e)
        self.arity(e, len(sig.params), fn.__name__)
        if self.target == "bpf" and len(sig.params) > MAX_BPF_ARGS:
            raise self.err(e, f"{fn.__name__} takes {len(sig.params)} arguments; bpf "
                           f"functions take at most {MAX_BPF_ARGS}",
                           "pass a struct instead of separate values")
        pyint: set[str] = set()
        for arg, (pname, ptype) in zip(e.args, sig.params, strict=True):
            self.typed(arg, f, ptype)
            self.coerce(arg, ptype, f"argument {pname}")
            if isinstance(ptype, lt.PtrType):
                self.require_nonnull(arg, f)
            if isinstance(ptype, lt.IntType) and self.is_pyint(arg, f):
                pyint.add(pname)
        key, _ = self.lang_callee(fn, e, frozenset(pyint))
        self.tf.info[e] = LangCall(key)
        callee = sig
        return callee.ret

    # ---- helpers -----------------------------------------------------------------------------

    def helper_call(self, e: ast.Call, helper: abi.Helper, f: Facts) -> lt.LangType:
        self.no_keywords(e, helper.name)
        if ArgKind.CONST_MAP_PTR in helper.args:
            m = self.static_obj(e.args[0]) if e.args else MISSING
            if m is MISSING or intr.map_type(m) is None:
                raise self.err(e, f"the first argument of {helper.name} must be a module-level "
                               "map", "or call the map's methods: `m.lookup(key)`")
            op = {1: "lookup", 2: "update", 3: "delete"}[helper.id]
            self.arity(e, len(helper.args), helper.name)
            return self.map_call(e, m, op, f, first=1)
        if self.hook is not None and not self.hook.allows(helper.id):
            raise self.err(e.func, f"helper {helper.name} is not available on the "
                           f"{self.hook.name} hook",
                           f"available: {', '.join(h.name for h in self.hook.helpers)}")
        self.arity(e, len(helper.args), helper.name)
        mem_size: int | None = None
        for i, (arg, kind) in enumerate(zip(e.args, helper.args, strict=True)):
            if kind == ArgKind.ANYTHING:
                t = self.typed(arg, f, lt.U64)
                if not isinstance(t, (lt.IntType, lt.BoolType)):
                    raise self.err(arg, f"argument {i + 1} of {helper.name} must be an integer")
            elif kind == ArgKind.PTR_TO_CTX:
                t = self.expr(arg, f)
                if not isinstance(t, lt.CtxType):
                    raise self.err(arg, f"argument {i + 1} of {helper.name} must be the context",
                                   "pass the handler's ctx parameter")
            elif kind in _MEM_KINDS:
                mem_size = self.memory_arg(arg, f, helper, i)
            elif kind in _SIZE_KINDS:
                self.typed(arg, f, lt.U32)
                c = self.tf.const.get(arg)
                if not isinstance(self.tf.ty[arg], lt.IntType):
                    raise self.err(arg, "a size must be an integer")
                if c is None:
                    raise self.err(arg, f"the size given to {helper.name} must be a constant",
                                   "the verifier must know how many bytes the helper touches")
                if int(c) < 0 or (kind == ArgKind.CONST_SIZE and int(c) == 0):
                    raise self.err(arg, f"invalid size {c}")
                if mem_size is not None and int(c) > mem_size:
                    raise self.err(arg, f"size {c} is larger than the {mem_size} bytes the "
                                   "memory argument covers")
            else:  # pragma: no cover - the table has no other kinds
                raise self.err(arg, f"unsupported helper argument kind {kind.value}")
        ret = lt.VOID if helper.ret == RetKind.VOID else lt.helper_return_type(helper.name)
        self.tf.info[e] = HelperCall(helper, ret)
        return ret

    def memory_arg(self, arg: ast.expr, f: Facts, helper: abi.Helper, i: int) -> int | None:
        t = self.expr(arg, f)
        if isinstance(t, (lt.StructType, lt.ArrayType)):
            return t.size
        if isinstance(t, lt.PtrType):
            self.require_nonnull(arg, f)
            info = self.tf.info.get(arg)
            if isinstance(info, PktPointer) and t.target == lt.U8:
                return self.pkt_reach(info, f)
            return t.target.size
        raise self.err(arg, f"argument {i + 1} of {helper.name} must be memory",
                       "pass a struct or array variable, or pkt.ptr(off)")

    # ---- maps ----------------------------------------------------------------------------------

    def map_call(self, e: ast.Call, obj: Any, op: str, f: Facts, first: int = 0
                 ) -> lt.LangType:
        mt = intr.map_type(obj)
        assert mt is not None
        self.register_map(obj, e)
        if first:
            self.tf.ty[e.args[0]] = mt
        pos = e.args[first:]
        if op == "lookup":
            self.no_keywords(e, "lookup")
            if len(pos) != 1:
                raise self.err(e, f"lookup takes 1 argument, got {len(pos)}")
            self.map_operand(pos[0], mt.key, f, "map key")
            self.nullable.add(e)
            ret: lt.LangType = lt.PtrType(mt.value)
        elif op == "update":
            args = list(pos)
            for kw in e.keywords:
                if kw.arg != "flags":
                    raise self.err(kw.value, f"update() has no argument {kw.arg!r}")
                args.append(kw.value)
            if not 2 <= len(args) <= 3:
                raise self.err(e, f"update takes 2 or 3 arguments, got {len(args)}")
            self.map_operand(args[0], mt.key, f, "map key")
            self.map_operand(args[1], mt.value, f, "map value")
            if len(args) == 3:
                t = self.typed(args[2], f, lt.U64)
                if not isinstance(t, lt.IntType):
                    raise self.err(args[2], "map update flags must be an integer (BPF_ANY ...)")
            ret = lt.I64
        elif op == "delete":
            self.no_keywords(e, "delete")
            if len(pos) != 1:
                raise self.err(e, f"delete takes 1 argument, got {len(pos)}")
            self.map_operand(pos[0], mt.key, f, "map key")
            ret = lt.I64
        else:
            raise self.err(e.func, f"maps have no method {op!r} in handlers",
                           "use lookup, update and delete")
        self.tf.info[e] = MapOp(obj, op, mt, first)
        return ret

    def map_operand(self, arg: ast.expr, t: lt.LangType, f: Facts, what: str) -> None:
        got = self.expr(arg, f, t)
        if isinstance(t, (lt.StructType, lt.ArrayType)) and got == lt.PtrType(t):
            self.require_nonnull(arg, f)
            return
        self.coerce(arg, t, what)

    # ---- the context ---------------------------------------------------------------------------

    def ctx_attribute(self, e: ast.Attribute, ctx: lt.CtxType, store: bool) -> lt.LangType:
        try:
            fld = ctx.layout.field(e.attr)
        except KeyError:
            known = ", ".join(x.name for x in ctx.layout.fields if x.kind == ValueKind.SCALAR)
            raise self.err(e, f"{ctx.name} has no field {e.attr!r}", f"fields: {known}") from None
        if fld.kind != ValueKind.SCALAR:
            raise self.err(e, f"ctx.{fld.name} is a pointer ({fld.kind.value})",
                           _POINTER_HINTS.get(fld.kind))
        if store and not fld.writable:
            raise self.err(e, f"ctx.{fld.name} is read-only in the {ctx.hook.name} hook")
        t = lt.INT_TYPES[fld.ctype]
        self.tf.info[e] = CtxField(fld, t, store)
        return t

    def ctx_method(self, e: ast.Call, ctx: lt.CtxType, f: Facts) -> lt.LangType:
        assert isinstance(e.func, ast.Attribute)
        name = e.func.attr
        kinds = {x.kind for x in ctx.layout.fields}
        if name == "packet":
            self.no_keywords(e, "packet()")
            self.arity(e, 0, "packet()")
            if ValueKind.PTR_TO_PACKET not in kinds:
                raise self.err(e, f"the {ctx.hook.name} hook has no direct packet access",
                               "read the fields of the context (ctx.len, ctx.protocol, ...)")
            self.tf.info[e] = PacketOf(ctx)
            return lt.PACKET
        if name in ("flow_state", "provider_flow"):
            provider = name == "provider_flow"
            want = ValueKind.PTR_TO_PFLOW_OR_NULL if provider else ValueKind.PTR_TO_FLOW_OR_NULL
            if want not in kinds:
                raise self.err(e, f"the {ctx.hook.name} hook has no per-flow state")
            self.no_keywords(e, f"{name}()")
            if provider:
                self.arity(e, 0, "provider_flow()")
                target: lt.LangType = intr.provider_flow_type()
            else:
                self.arity(e, 1, "flow_state()")
                target = self.annotation(e.args[0])
            self.tf.info[e] = FlowState(target, provider)
            self.nullable.add(e)
            return lt.PtrType(target)
        raise self.err(e.func, f"{ctx.name} has no method {name!r}",
                       "use packet(), flow_state(T), provider_flow() or a field")

    def is_nullable(self, e: ast.expr) -> bool:
        return e in self.nullable
