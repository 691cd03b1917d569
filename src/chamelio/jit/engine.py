"""Compile lifted eBPF with LLVM (O2/O3) into this process and run it through ctypes.

External symbols the lifted code needs (helpers by ABI id, maps; see
:mod:`chamelio.jit.lift`) come from ``symbols`` (name -> address); a missing one raises
:class:`~chamelio.jit.lift.LiftUnsupported`. A :class:`JitProgram` owns its LLJIT resource tracker: the native code stays loaded exactly
as long as the object lives. ``run`` works on a copy of the input memory and returns r0 and
that memory after the run. Example::

    prog = JitProgram(insns)
    r0, mem_after = prog.run(b"\\x01\\x02")
"""

from __future__ import annotations

import ctypes
import itertools
from collections.abc import Mapping
from typing import Any

import llvmlite.binding as llvm

from chamelio.ebpf.conformance import EngineSkip
from chamelio.ebpf.isa import Insn
from chamelio.jit.lift import ENTRY, LiftUnsupported, lift
from chamelio.lang.compiler.native import _jit, optimise

_ids = itertools.count(1)
_ProgFn = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p, ctypes.c_uint64)


class JitProgram:
    """An eBPF program lifted, optimised and loaded natively."""

    def __init__(
        self, insns: list[Insn], opt_level: int = 3, symbols: Mapping[str, int] | None = None
    ) -> None:
        self.llvm_ir = lift(insns)
        optimised = optimise(self.llvm_ir, opt_level)
        self.optimised_ir = str(optimised)
        lib = llvm.JITLibraryBuilder().add_ir(self.optimised_ir).export_symbol(ENTRY)
        bound = dict(symbols or {})
        needed = [
            f.name
            for f in optimised.functions
            if f.is_declaration and not f.name.startswith("llvm.")
        ]
        needed += [g.name for g in optimised.global_variables if g.is_declaration]
        for name in needed:
            if name not in bound:
                raise LiftUnsupported(f"no provider for {name} (helpers/maps need symbols)")
            lib.import_symbol(name, bound[name])
        self._tracker: Any = lib.link(_jit(), f"chamelio_jit_{next(_ids)}")
        self.address: int = self._tracker[ENTRY]
        self._fn: Any = _ProgFn(self.address)

    def run(self, mem: bytes = b"") -> tuple[int, bytes]:
        """Run on a writable copy of ``mem`` (r1 = its address, or 0 when empty; r2 = its
        length); returns r0 (unsigned 64-bit) and the memory after the run."""
        n = len(mem)
        if n == 0:
            return int(self._fn(None, 0)), b""
        buf = (ctypes.c_char * n).from_buffer_copy(mem)
        r0 = int(self._fn(ctypes.addressof(buf), n))
        return r0, bytes(buf)

    def __repr__(self) -> str:
        return f"<JitProgram at {self.address:#x}>"


def run_conformance_jit(insns: list[Insn], mem: bytes) -> int:
    """An engine for :func:`chamelio.ebpf.conformance.run_suite`: r0 of one native run;
    raises :class:`EngineSkip` for features not lifted yet."""
    try:
        prog = JitProgram(insns)
    except LiftUnsupported as exc:
        raise EngineSkip(str(exc)) from None
    return prog.run(mem)[0]


__all__ = ["JitProgram", "run_conformance_jit"]
