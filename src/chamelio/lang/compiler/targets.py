"""The two targets: what differs between ``bpf`` and ``native`` code generation.

* ``bpf`` — triple ``bpfel``; the program function lives in its hook's section; maps are
  BTF-described globals in ``.maps``; helpers are ``call <id>``; at most 5 arguments, 512 bytes
  of stack, bounded loops; signed division only from cpu v4.
* ``native`` — the host triple; helpers are calls to ``chamelio_helper_<name>`` symbols
  (``u64 f(u64 r1, ..., u64 r5)``, the provider's fast-path ABI); maps are external symbols
  whose addresses are handles the helpers understand; kernel contexts (``xdp_md``,
  ``__sk_buff``) are reached through a native prefix of three pointers (data, data_end,
  data_meta) followed by the kernel layout, because their 32-bit packet fields cannot hold a
  host pointer.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import llvmlite.binding as llvm

from chamelio.lang import types as lt
from chamelio.lang.compiler.errors import LangCompileError

BPF_TRIPLE = "bpfel"
BPF_DATA_LAYOUT = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
BPF_CPUS = ("v1", "v2", "v3", "v4")
BPF_STACK_LIMIT = 512
NATIVE_HELPER_PREFIX = "chamelio_helper_"
NATIVE_CTX_PREFIX = 24  # data, data_end, data_meta pointers before a kernel layout


@dataclass(frozen=True)
class Target:
    name: str  # "bpf" | "native"
    cpu: str
    triple: str
    data_layout: str

    @property
    def is_bpf(self) -> bool:
        return self.name == "bpf"

    @property
    def native_sdiv(self) -> bool:
        """Whether signed division instructions may be emitted."""
        return not self.is_bpf or self.cpu == "v4"

    def mem_align(self, t: lt.LangType, through_pointer: bool) -> int:
        """Alignment to claim for a load/store of ``t``: natural on bpf (as clang), 1 for
        native accesses through pointers (packet and Python buffers may be unaligned)."""
        if through_pointer and not self.is_bpf:
            return 1
        return max(1, min(t.align, 8))


def bpf_target(cpu: str = "v3") -> Target:
    if cpu not in BPF_CPUS:
        raise LangCompileError(f"unknown BPF cpu {cpu!r}",
                               hint=f"choose one of {', '.join(BPF_CPUS)} (v3 is the default)")
    return Target("bpf", cpu, BPF_TRIPLE, BPF_DATA_LAYOUT)


@functools.cache
def _native_machine() -> tuple[str, str]:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    triple = llvm.get_process_triple()
    tm = llvm.Target.from_triple(triple).create_target_machine()
    return triple, str(tm.target_data)


def native_target() -> Target:
    triple, layout = _native_machine()
    return Target("native", "host", triple, layout)
