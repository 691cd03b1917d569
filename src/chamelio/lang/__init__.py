"""chamelio.lang: a typed subset of Python for packet handlers.

A handler is an annotated Python function over the names below; it runs as plain Python (the
reference semantics) and compiles to eBPF or native code with identical results (see
``docs/design/0002-lang-surface.md``). The compiler's entry points (``compile_bpf``,
``compile_native``, ``emit_llvm``, ``emit_asm``, ``NativeFunction``,
``LangCompileError``) are loaded from ``chamelio.lang.compiler`` on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from chamelio.abi import BPF_ANY, BPF_EXIST, BPF_NOEXIST, Verdict, XdpAction
from chamelio.lang.runtime import helpers
from chamelio.lang.runtime.context import ProviderFlow, RxCtx, SkbCtx, TxCtx, XdpCtx
from chamelio.lang.runtime.ints import i8, i16, i32, i64, u8, u16, u32, u64
from chamelio.lang.runtime.maps import ArrayMap, HashMap
from chamelio.lang.runtime.packet import Packet
from chamelio.lang.runtime.structs import Array, Ptr, Struct, struct
from chamelio.lang.types import LangRuntimeError, LangTypeError

__all__ = [
    "BPF_ANY",
    "BPF_EXIST",
    "BPF_NOEXIST",
    "Array",
    "ArrayMap",
    "HashMap",
    "LangRuntimeError",
    "LangTypeError",
    "Packet",
    "ProviderFlow",
    "Ptr",
    "RxCtx",
    "SkbCtx",
    "Struct",
    "TxCtx",
    "Verdict",
    "XdpAction",
    "XdpCtx",
    "helpers",
    "i8",
    "i16",
    "i32",
    "i64",
    "struct",
    "u8",
    "u16",
    "u32",
    "u64",
]

_COMPILER_NAMES = ("compile_bpf", "compile_native", "emit_llvm", "emit_asm", "NativeFunction",
                   "LangCompileError")


def __getattr__(name: str) -> Any:
    if name in _COMPILER_NAMES:
        compiler = importlib.import_module("chamelio.lang.compiler")
        return getattr(compiler, name)
    raise AttributeError(f"module 'chamelio.lang' has no attribute {name!r}")
