"""Target ``native``: optimise the module in-process and load it with LLJIT.

A :class:`NativeFunction` is callable from Python with the same arguments as the lang function
(integers, bools, runtime structs/arrays/pointers, a runtime context) and returns the same
typed value. It owns the JIT library (its resource tracker) and every ctypes callback the
library calls, so the code stays loaded exactly as long as the object lives.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
from typing import Any

import llvmlite.binding as llvm

from chamelio.abi.kinds import ValueKind
from chamelio.lang import types as lt
from chamelio.lang.compiler.errors import LangCompileError
from chamelio.lang.compiler.lower import batch_capable, batch_symbol, native_map_symbol
from chamelio.lang.compiler.native_env import NativeHelpers, buffer_address
from chamelio.lang.compiler.targets import NATIVE_CTX_PREFIX, NATIVE_HELPER_PREFIX
from chamelio.lang.compiler.typed import Program
from chamelio.lang.runtime.context import Ctx
from chamelio.lang.runtime.ints import INT_CLASSES
from chamelio.lang.runtime.structs import Ptr

_INT_CTYPES = {
    (8, False): ctypes.c_uint8, (16, False): ctypes.c_uint16, (32, False): ctypes.c_uint32,
    (64, False): ctypes.c_uint64, (8, True): ctypes.c_int8, (16, True): ctypes.c_int16,
    (32, True): ctypes.c_int32, (64, True): ctypes.c_int64,
}
_lib_ids = itertools.count(1)


@functools.cache
def _machine() -> Any:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    llvm.initialize_native_asmparser()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                        features=llvm.get_host_cpu_features().flatten(),
                                        opt=3, jit=True)


@functools.cache
def _jit() -> Any:
    return llvm.create_lljit_compiler(_machine())


def optimise(llvm_ir: str, opt_level: int = 2) -> Any:
    """Parse, verify and optimise native IR; returns the llvmlite ModuleRef."""
    tm = _machine()
    try:
        mod = llvm.parse_assembly(llvm_ir)
        mod.verify()
    except RuntimeError as exc:
        raise LangCompileError(f"internal error: generated LLVM IR is invalid: {exc}",
                               hint="this is a compiler bug; report it with the source") from None
    mod.data_layout = str(tm.target_data)
    if opt_level > 0:
        pto = llvm.create_pipeline_tuning_options(speed_level=opt_level)
        pb = llvm.create_pass_builder(tm, pto)
        pb.getModulePassManager().run(mod, pb)
    return mod


def native_asm(llvm_ir: str, opt_level: int = 2) -> str:
    return str(_machine().emit_assembly(optimise(llvm_ir, opt_level)))


def _ctype(t: lt.LangType) -> Any:
    if isinstance(t, lt.IntType):
        return _INT_CTYPES[(t.bits, t.signed)]
    if isinstance(t, lt.BoolType):
        return ctypes.c_bool
    if isinstance(t, lt.VoidType):
        return None
    return ctypes.c_void_p


class NativeFunction:
    """A compiled lang function, callable from Python."""

    def __init__(self, program: Program, optimised: Any, name: str) -> None:
        self.program = program
        self.name = name
        self.entry = program.entry
        self.llvm_ir = str(optimised)
        self.helpers = NativeHelpers()
        lib = llvm.JITLibraryBuilder().add_ir(self.llvm_ir).add_current_process()
        for fn in optimised.functions:
            if fn.is_declaration and fn.name.startswith(NATIVE_HELPER_PREFIX):
                from chamelio import abi

                helper = abi.HELPERS_BY_NAME[fn.name[len(NATIVE_HELPER_PREFIX):]]
                lib.import_symbol(fn.name, self.helpers.symbol(helper))
        for _, (sym, obj) in program.maps.items():
            lib.import_symbol(native_map_symbol(sym), self.helpers.map_handle(obj))
        lib.export_symbol(self.entry.name)
        self._batch_cfunc: Any = None
        if batch_capable(self.entry):
            lib.export_symbol(batch_symbol(self.entry))
        self._jit = _jit()
        try:
            self._tracker = lib.link(self._jit, f"chamelio_{name}_{next(_lib_ids)}")
        except RuntimeError as exc:
            raise LangCompileError(f"native link of {name} failed: {exc}") from None
        self.address: int = self._tracker[self.entry.name]
        argtypes = [_ctype(t) for _, t in self.entry.params]
        self._cfunc = ctypes.CFUNCTYPE(_ctype(self.entry.ret), *argtypes)(self.address)
        if batch_capable(self.entry):
            self._batch_cfunc = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64,
                                                 ctypes.c_void_p)(
                self._tracker[batch_symbol(self.entry)])

    @property
    def params(self) -> list[tuple[str, lt.LangType]]:
        return list(self.entry.params)

    def __repr__(self) -> str:
        return f"<NativeFunction {self.name} at {self.address:#x}>"

    def __call__(self, *args: Any) -> Any:
        if len(args) != len(self.entry.params):
            raise TypeError(f"{self.name}() takes {len(self.entry.params)} arguments, "
                            f"got {len(args)}")
        env = self.helpers
        finish: list[Any] = []
        try:
            raw = [self._arg(a, t, env, finish) for a, (_, t) in zip(args, self.entry.params,
                                                                     strict=True)]
            result = self._cfunc(*raw)
        finally:
            for undo in finish:
                undo()
            env.end_call()
        return self._result(result)

    def run_batch(self, ctxs: list[Any]) -> list[Any]:
        """Run the handler on many contexts with one call into native code."""
        if self._batch_cfunc is None:
            raise TypeError(f"{self.name} is not a handler (its only parameter is not a context)")
        env = self.helpers
        finish: list[Any] = []
        t = self.entry.params[0][1]
        n = len(ctxs)
        try:
            ptrs = (ctypes.c_void_p * max(1, n))(*[self._arg(c, t, env, finish) for c in ctxs])
            out = (ctypes.c_uint64 * max(1, n))()
            self._batch_cfunc(ptrs, n, out)
        finally:
            for undo in finish:
                undo()
            env.end_call()
        ret = self.entry.ret
        bits = ret.bits if isinstance(ret, lt.IntType) else 1
        return [self._result(v & ((1 << bits) - 1)) for v in out[:n]]

    def _result(self, r: Any) -> Any:
        t = self.entry.ret
        if isinstance(t, lt.IntType):
            return INT_CLASSES[t](r)
        if isinstance(t, lt.BoolType):
            return bool(r)
        if isinstance(t, lt.VoidType):
            return None
        return r

    def _arg(self, a: Any, t: lt.LangType, env: NativeHelpers, finish: list[Any]) -> Any:
        if isinstance(t, lt.IntType):
            if not isinstance(a, int) or isinstance(a, bool):
                raise TypeError(f"expected an integer for {t.name}, got {type(a).__name__}")
            lt.check_assign(t, getattr(type(a), "__lang_type__", None) or int(a))
            return int(a)
        if isinstance(t, lt.BoolType):
            return bool(a)
        if isinstance(t, lt.CtxType):
            if not isinstance(a, Ctx):
                raise TypeError(f"expected a {t.name}, got {type(a).__name__}")
            return self._ctx(a, t, env, finish)
        if isinstance(a, Ptr):
            buf, off, _ = a.region()
            return buffer_address(buf, env.keep) + off
        if isinstance(getattr(a, "__lang_type__", None), (lt.StructType, lt.ArrayType)) and \
                hasattr(a, "_buf"):
            return buffer_address(a._buf, env.keep) + a._off
        if isinstance(a, int):
            return a
        raise TypeError(f"cannot pass {type(a).__name__} as {t.name}")

    def _ctx(self, c: Ctx, t: lt.CtxType, env: NativeHelpers, finish: list[Any]) -> int:
        keep = env.keep
        data = buffer_address(c._buf, keep)
        end = data + len(c._buf)
        flow = buffer_address(c._flow, keep) if c._flow is not None else 0
        pflow = buffer_address(c._pflow, keep) if c._pflow is not None else 0
        pointers = {ValueKind.PTR_TO_PACKET: data, ValueKind.PTR_TO_PACKET_END: end,
                    ValueKind.PTR_TO_PACKET_META: data, ValueKind.PTR_TO_FLOW_OR_NULL: flow,
                    ValueKind.PTR_TO_PFLOW_OR_NULL: pflow}
        layout = t.layout
        if t.hook.kernel_prog_type is None:
            # Chamelio's context holds 64-bit pointers: share the runtime's bytes directly
            raw = c._raw
            addr = buffer_address(raw, keep)
            for f in layout.fields:
                if f.kind in pointers:
                    raw[f.offset:f.end] = pointers[f.kind].to_bytes(f.size, "little")

            def clear() -> None:
                for f in layout.fields:
                    if f.kind in pointers:
                        raw[f.offset:f.end] = bytes(f.size)
            finish.append(clear)
        else:
            buf = ctypes.create_string_buffer(NATIVE_CTX_PREFIX + layout.size)
            keep.append(buf)
            prefix = data.to_bytes(8, "little") + end.to_bytes(8, "little") + \
                data.to_bytes(8, "little")
            ctypes.memmove(buf, prefix + bytes(c._raw), NATIVE_CTX_PREFIX + layout.size)
            addr = ctypes.addressof(buf)

            def copy_back() -> None:
                after = buf.raw[NATIVE_CTX_PREFIX:]
                for f in layout.fields:
                    if f.writable:
                        c._raw[f.offset:f.end] = after[f.offset:f.end]
            finish.append(copy_back)
        env.ctxs[addr] = c
        return addr
