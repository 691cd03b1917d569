"""The compiler of ``chamelio.lang``: Python handler source → eBPF ELF objects or native code.

Entry points (see :mod:`chamelio.lang.compiler.api` for the pass pipeline)::

    compile_bpf(fn_or_module_or_source, *, entry=None, hook=None, cpu="v3") -> bytes
    compile_native(fn_or_module_or_source, *, entry=None, hook=None) -> NativeFunction
    emit_llvm(..., target="bpf"|"native", optimize=True) -> str
    emit_asm(..., target="bpf"|"native") -> str

The subset (anything else is a :class:`LangCompileError` at its ``file:line:col``, with a hint):

* statements: assignment (one target), annotated assignment, augmented assignment,
  ``if/elif/else``, ``for i in range(...)`` with constant bounds, ``while`` (on bpf only with
  a provable bound: a counter compared with a constant and stepped at the top level of the
  body), ``break``, ``continue``, ``return``, ``pass``, calls as statements;
* expressions: int/bool constants and module-level constants, arithmetic, bitwise, shifts,
  comparisons, ``and/or/not``, conditional expressions, casts ``u32(x)``/``bool(x)``,
  ``min``/``max``, ``len(array)``, calls of other lang functions (inlined on bpf; at most 5
  arguments there; no recursion);
* types: ``u8 .. i64``, ``bool``, ``Ptr[T]``, ``Array[T, N]``, ``@struct`` classes (C layout;
  values are references, as the runtime's views), ``Packet``, the context classes;
* context: scalar fields (read; writable ones written), ``ctx.packet()``,
  ``ctx.flow_state(T)``/``ctx.provider_flow()`` (chamelio hooks; may be None);
* packet: ``has(n)``, ``has_at(off, n)``, ``len()``, ``u8/be16/be32/be64/le16/le32/le64``,
  ``store_*``, ``view(T, off)``, ``ptr(off)``; every access must be covered by a check that
  succeeded before it (tracked along the control flow), or have a run-time offset the checker
  bounds inside a ``has(n)`` prefix;
* maps: module-level ``HashMap``/``ArrayMap`` with ``lookup`` (a pointer that must be checked
  against None), ``update``, ``delete`` (also ``helpers.map_*_elem(m, ...)``); helpers of the
  ABI table the hook allows;
* integer semantics exactly as :mod:`chamelio.lang.intops`; where plain Python would compute
  on unbounded ints (two plain ``int`` operands) the result must provably fit the type;
* native only (:mod:`.infra`): ``extern`` C functions, ``raw_ptr``/``addr_of``, atomics with
  orderings, unbounded loops, and batch entry points (``NativeFunction.run_batch``).
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
