"""The compiler's public entry points and its pass pipeline.

Passes, in order: **parse** (source → checked ``ast``), **resolve** (names → objects),
**check** (types and facts; pulls in the lang functions the entry calls), **lower** (LLVM IR),
**optimise** (LLVM's O2 pipeline for the target) and **emit** (a bpf ELF object in the back
end's worker, or a native function loaded with LLJIT). With ``debug=True`` or
``CHAMELIO_DEBUG=1`` each pass dumps its result to stderr.
"""

from __future__ import annotations

import ast
import inspect
import os
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chamelio import abi
from chamelio.errors import ChamelioError
from chamelio.lang import types as lt
from chamelio.lang.compiler.errors import LangCompileError
from chamelio.lang.compiler.frontend import (
    FunctionSource,
    module_from_source,
    parse_function,
    validate,
)
from chamelio.lang.compiler.lower import ModuleLowerer
from chamelio.lang.compiler.program import ProgramChecker
from chamelio.lang.compiler.resolve import resolve
from chamelio.lang.compiler.targets import BPF_STACK_LIMIT, Target, bpf_target, native_target
from chamelio.lang.compiler.typed import Construct, Program

Source = str | types.ModuleType | Callable[..., Any]


def debug_enabled(debug: bool | None) -> bool:
    if debug is not None:
        return debug
    return os.environ.get("CHAMELIO_DEBUG", "") not in ("", "0")


@dataclass
class Pipeline:
    target: Target
    hook: str | None = None
    entry: str | None = None
    debug: bool = False
    opt_level: int = 2

    def dump(self, stage: str, text: str) -> None:
        if self.debug:
            print(f"=== chamelio.lang: after {stage} ===\n{text.rstrip()}\n", file=sys.stderr)

    # ---- passes ----------------------------------------------------------------------------

    def parse(self, source: Source) -> FunctionSource:
        fn = entry_function(source, self.entry)
        src = parse_function(fn)
        validate(src)
        self.dump("parse", ast.dump(src.node, indent=1))
        return src

    def check(self, src: FunctionSource) -> Program:
        res = resolve(src)
        self.dump("resolve", "\n".join(
            f"{ast.unparse(n)} -> {_short(v)}" for n, v in res.statics.items()))
        hook = self.resolve_hook(src)
        program = ProgramChecker(self.target.name, hook).check_entry(src)
        if self.target.is_bpf:
            check_stack(program)
        self.dump("check", describe(program))
        return program

    def lower(self, program: Program) -> str:
        text = str(ModuleLowerer(program, self.target).lower())
        self.dump("lower", text)
        return text

    def resolve_hook(self, src: FunctionSource) -> abi.Hook | None:
        ctx_hook = _ctx_hook(src.pyfunc)
        if self.hook is None:
            if ctx_hook is None and self.target.is_bpf:
                raise LangCompileError(f"{src.name}: cannot tell which hook it is for",
                                       file=src.loc.file, line=src.loc.line_offset + 1,
                                       hint="annotate its first parameter with a context type "
                                       "(XdpCtx, SkbCtx, RxCtx, TxCtx) or pass hook=")
            return ctx_hook
        try:
            hook = abi.hook(self.hook)
        except KeyError as exc:
            raise LangCompileError(str(exc.args[0])) from None
        if ctx_hook is not None and ctx_hook.name != hook.name:
            raise LangCompileError(f"{src.name} takes a context of hook {ctx_hook.name}, not "
                                   f"{hook.name}", file=src.loc.file,
                                   line=src.loc.line_offset + 1,
                                   hint="use the context class of the hook you compile for")
        return hook

    # ---- whole runs ----------------------------------------------------------------------

    def front(self, source: Source) -> tuple[Program, str]:
        try:
            program = self.check(self.parse(source))
            return program, self.lower(program)
        except ChamelioError:
            raise
        except RecursionError:
            raise LangCompileError("the handler is nested too deeply to compile",
                                   hint="split deeply nested expressions into statements"
                                   ) from None
        except Exception as exc:  # a compiler bug must not surface as a bare traceback
            raise LangCompileError(f"internal compiler error: {type(exc).__name__}: {exc}",
                                   hint="this is a bug in chamelio.lang's compiler; please "
                                   "report it with the handler's source") from exc


def _short(v: Any) -> str:
    text = getattr(v, "__qualname__", None) or repr(v)
    return text if len(text) < 80 else text[:77] + "..."


def describe(program: Program) -> str:
    lines = []
    for tf in program.functions:
        params = ", ".join(f"{n}: {t.name}" for n, t in tf.params)
        lines.append(f"def {tf.name}({params}) -> {tf.ret.name}")
        for n, t in tf.locals.items():
            lines.append(f"    {n}: {t.name}")
    for sym, obj in program.maps.values():
        lines.append(f"map {sym}: {obj.__lang_type__.name}")
    return "\n".join(lines)


def check_stack(program: Program) -> None:
    total = 0
    biggest: tuple[int, Any, Any] | None = None
    for tf in program.functions:
        for node, info in tf.info.items():
            if isinstance(info, Construct):
                total += info.type.size
                if biggest is None or info.type.size > biggest[0]:
                    biggest = (info.type.size, node, tf)
    if total > BPF_STACK_LIMIT and biggest is not None:
        _, node, tf = biggest
        raise tf.src.loc.error(node, f"the program needs {total} bytes of stack for its structs "
                               f"and arrays; bpf allows {BPF_STACK_LIMIT}",
                               "make arrays smaller or keep the data in a map")


def _first_param_ctx(fn: Any) -> lt.CtxType | None:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    if not params or params[0].annotation is inspect.Parameter.empty:
        return None
    try:
        t = lt.type_of_annotation(params[0].annotation, getattr(fn, "__globals__", None))
    except lt.LangTypeError:
        return None
    return t if isinstance(t, lt.CtxType) else None


def _ctx_hook(fn: Any) -> abi.Hook | None:
    t = _first_param_ctx(fn) if fn is not None else None
    return t.hook if t is not None else None


def handler_candidates(module: types.ModuleType) -> list[Callable[..., Any]]:
    """Functions defined in ``module`` whose first parameter is a context type."""
    out: list[Callable[..., Any]] = []
    for value in vars(module).values():
        if isinstance(value, types.FunctionType) and value.__module__ == module.__name__ \
                and _first_param_ctx(value) is not None:
            out.append(value)
    return out


def entry_function(source: Source, entry: str | None) -> Callable[..., Any]:
    if isinstance(source, str):
        source = module_from_source(source)
    if isinstance(source, types.ModuleType):
        where = getattr(source, "__file__", None) or source.__name__
        if entry is not None:
            fn = getattr(source, entry, None)
            if not isinstance(fn, types.FunctionType):
                raise LangCompileError(f"{where} has no function {entry!r}")
            return fn
        found = handler_candidates(source)
        if len(found) == 1:
            return found[0]
        if not found:
            raise LangCompileError(f"no handler found in {where}",
                                   hint="a handler is a function whose first parameter is a "
                                   "context (ctx: XdpCtx); or name one with entry=")
        names = ", ".join(sorted(f.__name__ for f in found))
        raise LangCompileError(f"several handlers in {where}: {names}",
                               hint="choose one with entry= (--entry NAME)")
    if callable(source):
        if entry is not None and getattr(source, "__name__", None) != entry:
            raise LangCompileError(f"entry {entry!r} does not name the function given")
        return source
    raise LangCompileError(f"cannot compile a {type(source).__name__}",
                           hint="pass a function, a module, or source text")


# ---- public API ------------------------------------------------------------------------------

def compile_bpf(source: Source, *, entry: str | None = None, hook: str | None = None,
                cpu: str = "v3", opt_level: int = 2, debug: bool | None = None) -> bytes:
    """Compile a handler to a relocatable eBPF ELF object (one program in its hook's section,
    ``license``, maps in ``.maps`` with BTF)."""
    from chamelio.lang.bpf import emit_bpf_object

    p = Pipeline(bpf_target(cpu), hook, entry, debug_enabled(debug), opt_level)
    _, text = p.front(source)
    if p.debug:
        _dump_bpf_stages(p, text, cpu, opt_level)
    obj = emit_bpf_object(text, cpu=cpu, opt_level=opt_level)
    p.dump("emit", f"ELF object, {len(obj)} bytes")
    return obj


def _dump_bpf_stages(p: Pipeline, text: str, cpu: str, opt_level: int) -> None:
    from chamelio.lang.bpf import emit_bpf_asm, optimized_ir

    p.dump("optimise", optimized_ir(text, cpu=cpu, opt_level=opt_level))
    p.dump("emit (assembly)", emit_bpf_asm(text, cpu=cpu, opt_level=opt_level))


def compile_native(source: Source, *, entry: str | None = None, hook: str | None = None,
                   opt_level: int = 2, debug: bool | None = None) -> Any:
    """Compile a lang function to native code, loaded and callable from Python."""
    from chamelio.lang.compiler.native import NativeFunction, optimise

    p = Pipeline(native_target(), hook, entry, debug_enabled(debug), opt_level)
    program, text = p.front(source)
    mod = optimise(text, opt_level)
    p.dump("optimise", str(mod))
    fn = NativeFunction(program, mod, program.entry.src.name)
    p.dump("emit", repr(fn))
    return fn


def emit_llvm(source: Source, *, target: str = "bpf", entry: str | None = None,
              hook: str | None = None, cpu: str = "v3", optimize: bool = True,
              opt_level: int = 2, debug: bool | None = None) -> str:
    """The LLVM IR of a handler for ``target`` (``"bpf"`` or ``"native"``), optimised unless
    ``optimize=False``."""
    p = _pipeline(target, cpu, hook, entry, debug, opt_level)
    _, text = p.front(source)
    if not optimize:
        return text
    if p.target.is_bpf:
        from chamelio.lang.bpf import optimized_ir

        return optimized_ir(text, cpu=cpu, opt_level=opt_level)
    from chamelio.lang.compiler.native import optimise

    return str(optimise(text, opt_level))


def emit_asm(source: Source, *, target: str = "bpf", entry: str | None = None,
             hook: str | None = None, cpu: str = "v3", opt_level: int = 2,
             debug: bool | None = None) -> str:
    """The assembly of a handler for ``target``."""
    p = _pipeline(target, cpu, hook, entry, debug, opt_level)
    _, text = p.front(source)
    if p.target.is_bpf:
        from chamelio.lang.bpf import emit_bpf_asm

        return emit_bpf_asm(text, cpu=cpu, opt_level=opt_level)
    from chamelio.lang.compiler.native import native_asm

    return native_asm(text, opt_level)


def _pipeline(target: str, cpu: str, hook: str | None, entry: str | None, debug: bool | None,
              opt_level: int) -> Pipeline:
    if target == "bpf":
        t = bpf_target(cpu)
    elif target == "native":
        t = native_target()
    else:
        raise LangCompileError(f"unknown target {target!r}", hint="use 'bpf' or 'native'")
    return Pipeline(t, hook, entry, debug_enabled(debug), opt_level)
