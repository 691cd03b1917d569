"""The ``bpf`` target's back end: LLVM IR → eBPF ELF object that libbpf and the kernel load.

* :mod:`.emit` — :func:`emit_bpf_object`, :func:`emit_bpf_asm`, :func:`optimized_ir`
  (run in an isolated worker process; backend aborts become :class:`BpfBackendError`);
* :mod:`.debuginfo` — a DWARF builder for llvmlite modules, from which LLVM derives
  ``.BTF`` (libbpf's BTF-defined maps, function info) and ``.BTF.ext`` (line info);
* :mod:`.libbpf` — the object conventions libbpf expects (``license``, program sections).
"""

from chamelio.lang.bpf.emit import (
    BpfBackendError,
    emit_bpf_asm,
    emit_bpf_object,
    optimized_ir,
    warm_up,
)

__all__ = ["BpfBackendError", "emit_bpf_asm", "emit_bpf_object", "optimized_ir", "warm_up"]
