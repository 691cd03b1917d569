"""``chamelio.jit``: lift verified eBPF to LLVM IR and run it natively (llvmlite LLJIT).

:func:`lift` turns a program (``list[Insn]``) into LLVM IR text; :class:`JitProgram`
optimises and loads it and runs it on memory; :func:`run_conformance_jit` is the engine for
:func:`chamelio.ebpf.conformance.run_suite`.
"""

from chamelio.jit.engine import JitProgram, run_conformance_jit
from chamelio.jit.lift import (
    LiftUnsupported,
    helper_symbol,
    lift,
    map_symbol,
    map_value_symbol,
)

__all__ = [
    "JitProgram",
    "LiftUnsupported",
    "helper_symbol",
    "lift",
    "map_symbol",
    "map_value_symbol",
    "run_conformance_jit",
]
