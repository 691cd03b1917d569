"""In-process LLVM code generation for the ``bpf`` target.

Only the worker process (:mod:`chamelio.lang.bpf.worker`) calls this module: LLVM's BPF
backend reports some errors (stack over the limit, signed division below cpu v4, more than
five arguments, copies of variable length) by printing to fd 2 and calling ``exit(1)``,
which would take the caller down with it. Parse and verify errors raise :class:`IRError`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import llvmlite.binding as llvm

Output = Literal["object", "asm", "llvm"]

TRIPLE = "bpfel"
CPUS = ("v1", "v2", "v3", "v4")
DEFAULT_STACK_SIZE = 512  # bytes; the kernel's limit, and LLVM's default for -bpf-stack-size

_TARGET_LINE = re.compile(r'^target\s+(datalayout|triple)\s*=\s*"[^"\n]*"[ \t]*$', re.MULTILINE)


def retarget(llvm_ir: str, data_layout: str) -> str:
    """Put the BPF triple and data layout into the IR text itself.

    They must be there *before* parsing: the parser gives loads, stores and allocas
    without an explicit ``align`` the ABI alignment of the layout it sees, and LLVM's
    default layout (llvmlite's ``datalayout = ""``) aligns ``i64`` to 4 bytes only, which
    makes the backend split every such 64-bit access into two 32-bit ones.
    """
    body = _TARGET_LINE.sub("", llvm_ir)
    return f'target datalayout = "{data_layout}"\ntarget triple = "{TRIPLE}"\n{body}'


class IRError(Exception):
    """The LLVM IR text does not parse or does not verify."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class Compiler:
    """Holds warm LLVM state: initialised targets and one target machine per (cpu, opt)."""

    def __init__(self) -> None:
        llvm.initialize_all_targets()
        llvm.initialize_all_asmprinters()
        self._target = llvm.Target.from_triple(TRIPLE)
        self._machines: dict[tuple[str, int], Any] = {}
        self._stack_size = DEFAULT_STACK_SIZE

    def _machine(self, cpu: str, opt_level: int) -> Any:
        key = (cpu, opt_level)
        tm = self._machines.get(key)
        if tm is None:
            tm = self._target.create_target_machine(
                cpu=cpu,
                opt=opt_level,
                reloc="static",
                codemodel="small",
            )
            self._machines[key] = tm
        return tm

    def _set_stack_size(self, stack_size: int | None) -> None:
        wanted = DEFAULT_STACK_SIZE if stack_size is None else stack_size
        if wanted != self._stack_size:
            # A process-wide LLVM option; this process only ever compiles BPF.
            llvm.set_option("", f"-bpf-stack-size={wanted}")
            self._stack_size = wanted

    def compile(
        self,
        llvm_ir: str,
        output: Output,
        cpu: str = "v3",
        opt_level: int = 2,
        stack_size: int | None = None,
    ) -> bytes:
        """Parse, verify, retarget to ``bpfel``, optimise, and emit *output*."""
        if cpu not in CPUS:
            raise IRError("option", f"unknown BPF cpu {cpu!r} (expected one of {', '.join(CPUS)})")
        if opt_level not in (0, 1, 2, 3):
            raise IRError("option", f"opt_level must be 0..3, got {opt_level}")
        self._set_stack_size(stack_size)
        tm = self._machine(cpu, opt_level)
        try:
            module = llvm.parse_assembly(retarget(llvm_ir, str(tm.target_data)))
        except RuntimeError as exc:
            raise IRError("parse", str(exc).strip()) from None
        try:
            module.verify()
        except RuntimeError as exc:
            raise IRError("verify", str(exc).strip()) from None
        for function in module.functions:
            # Without nounwind every function gets an .eh_frame entry, which libbpf
            # does not want; BPF code never unwinds.
            function.add_function_attribute("nounwind")
        if opt_level > 0:
            pto = llvm.create_pipeline_tuning_options(speed_level=opt_level)
            pb = llvm.create_pass_builder(tm, pto)
            pb.getModulePassManager().run(module, pb)
        if output == "llvm":
            return str(module).encode()
        if output == "asm":
            return str(tm.emit_assembly(module)).encode()
        return bytes(tm.emit_object(module))
