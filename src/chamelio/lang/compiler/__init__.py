"""The compiler of ``chamelio.lang``: Python handler source → eBPF ELF objects or native code.

``compile_bpf(fn_or_module_or_source, entry=None, hook=None, cpu="v3") -> bytes``,
``compile_native(fn) -> NativeFunction``, ``emit_llvm(...) -> str``, ``emit_asm(...) -> str``.
See :mod:`chamelio.lang.compiler.api` for the pass pipeline.
"""

from __future__ import annotations

import importlib
from typing import Any

from chamelio.lang.compiler.errors import LangCompileError

__all__ = ["LangCompileError", "NativeFunction", "compile_bpf", "compile_native", "emit_asm",
           "emit_llvm"]

_API = {"compile_bpf", "compile_native", "emit_llvm", "emit_asm"}


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module("chamelio.lang.compiler.api"), name)
    if name == "NativeFunction":
        return importlib.import_module("chamelio.lang.compiler.native").NativeFunction
    raise AttributeError(f"module 'chamelio.lang.compiler' has no attribute {name!r}")
