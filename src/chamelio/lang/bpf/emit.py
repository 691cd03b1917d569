"""Turn LLVM IR into an eBPF ELF object (or BPF assembly, or optimised IR), safely.

Every entry point parses and verifies the IR, retargets it to ``bpfel`` (triple and data
layout), marks every function ``nounwind``, runs LLVM's new-pass-manager pipeline for
*opt_level* with a BPF target machine (which includes the BPF-specific IR passes), and
emits. The work happens in a warm worker process (:mod:`chamelio.lang.bpf.worker`), so an
LLVM backend abort becomes a :class:`BpfBackendError` with LLVM's message and a hint, and
the caller keeps running; the next compile starts a fresh worker.
"""

from __future__ import annotations

import re

from chamelio.errors import ChamelioError
from chamelio.lang.bpf.worker import Reply, default_client

CPUS = ("v1", "v2", "v3", "v4")
DEFAULT_TIMEOUT = 120.0  # seconds; a compile that takes longer is killed

# (substring of LLVM's message, what to do about it)
_HINTS: tuple[tuple[str, str], ...] = (
    (
        "stack limit is exceeded",
        "the stack is limited to 512 bytes: make arrays smaller or move them to a map",
    ),
    (
        "signed division",
        "signed division and modulo need cpu v4: use unsigned operands or compile with cpu='v4'",
    ),
    (
        "stack arguments are not supported",
        "BPF functions take at most 5 arguments: pass a pointer to a struct instead",
    ),
    (
        "too many arguments",
        "BPF functions take at most 5 arguments: pass a pointer to a struct instead",
    ),
    (
        "A call to built-in function",
        "memory copies and fills need a length known at compile time: copy a fixed-size "
        "block, or copy in a bounded loop",
    ),
    (
        "dynamic stack allocation",
        "stack slots must have a constant size and be allocated in the entry block",
    ),
    *(
        (needle, "BPF functions return one scalar: return structs through a pointer argument")
        for needle in ("aggregate returns", "stack return values", "only small returns")
    ),
    ("variadic functions", "BPF has no variadic functions: pass a fixed argument list"),
    ("pass by value", "pass structs by pointer, not by value"),
    (
        "atomic",
        "BPF atomics work on 32- and 64-bit values only, and loads/stores cannot be seq_cst",
    ),
)
_GENERIC_HINT = "LLVM's BPF backend cannot express this construct: rewrite the code it names"
_IR_HINT = (
    "the IR is not valid LLVM: if chamelio.lang generated it, this is a compiler bug "
    "(report it with the IR)"
)


class BpfBackendError(ChamelioError):
    """LLVM could not turn the IR into BPF code (invalid IR, or a backend limit was hit)."""

    def __init__(
        self, message: str, hint: str | None = None, *, kind: str, llvm_message: str = ""
    ) -> None:
        super().__init__(message, hint)
        self.kind = kind  # parse | verify | option | codegen | crash | timeout | internal
        self.llvm_message = llvm_message  # LLVM's own words, verbatim (may be empty)
        # Where LLVM says the problem is; known when the IR carries !dbg locations.
        self.source_file: str | None = None
        self.line: int | None = None
        self.column: int | None = None
        where = _LOCATION.match(llvm_message)
        if where is not None:
            self.source_file = where["file"]
            self.line, self.column = int(where["line"]), int(where["col"])


_LOCATION = re.compile(r"(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): ")
_LLVM_ERROR = re.compile(r"^(LLVM ERROR|error):", re.MULTILINE)


def _llvm_lines(diagnostics: str) -> str:
    first = _LLVM_ERROR.search(diagnostics)
    if first is not None:  # skip anything else the worker printed before LLVM's error
        diagnostics = diagnostics[first.start() :]
    lines = []
    for line in diagnostics.splitlines():
        line = line.strip()
        if not line:
            continue
        line = re.sub(r"^(LLVM ERROR|error):\s*", "", line)
        line = re.sub(r"^<unknown>:0:0:\s*", "", line)
        lines.append(line)
    return "\n".join(lines)


def hint_for(llvm_message: str) -> str:
    """The advice for one LLVM backend message (exposed for the front end and tests)."""
    for needle, hint in _HINTS:
        if needle in llvm_message:
            return hint
    return _GENERIC_HINT


def _error_from(reply: Reply) -> BpfBackendError:
    if reply.kind in ("parse", "verify"):
        what = "does not parse" if reply.kind == "parse" else "does not verify"
        return BpfBackendError(
            f"the LLVM IR {what}: {reply.message}",
            _IR_HINT,
            kind=reply.kind,
            llvm_message=reply.message,
        )
    if reply.kind == "option":
        return BpfBackendError(reply.message, kind="option")
    if reply.kind == "timeout":
        return BpfBackendError(
            f"BPF code generation timed out ({reply.message})",
            "simplify the program, or raise the timeout",
            kind="timeout",
        )
    if reply.kind == "internal":
        return BpfBackendError(
            f"internal error in the BPF code generator worker:\n{reply.message}",
            "this is a bug in chamelio: please report it with the IR",
            kind="internal",
        )
    llvm_message = _llvm_lines(reply.diagnostics)
    if reply.returncode == 1 and llvm_message:
        return BpfBackendError(
            f"LLVM's BPF backend rejected the program: {llvm_message}",
            hint_for(llvm_message),
            kind="codegen",
            llvm_message=llvm_message,
        )
    detail = f": {llvm_message}" if llvm_message else ""
    return BpfBackendError(
        f"{reply.message}{detail}",
        "this is a bug in LLVM or chamelio: please report it with the IR",
        kind="crash",
        llvm_message=llvm_message,
    )


def _check_options(cpu: str, opt_level: int, stack_size: int | None) -> None:
    if cpu not in CPUS:
        raise BpfBackendError(
            f"unknown BPF cpu {cpu!r}",
            f"choose one of {', '.join(CPUS)} (v3 is the default; v4 adds signed division)",
            kind="option",
        )
    if opt_level not in (0, 1, 2, 3):
        raise BpfBackendError(
            f"optimisation level must be 0, 1, 2 or 3, not {opt_level!r}", kind="option"
        )
    if stack_size is not None and (
        isinstance(stack_size, bool) or not isinstance(stack_size, int) or stack_size <= 0
    ):
        raise BpfBackendError(
            f"stack size must be a positive number of bytes, not {stack_size!r}",
            "the kernel allows 512 bytes; larger stacks only suit non-kernel runtimes",
            kind="option",
        )


def _run(
    op: str, llvm_ir: str, cpu: str, opt_level: int, stack_size: int | None, timeout: float | None
) -> bytes:
    _check_options(cpu, opt_level, stack_size)
    reply = default_client().request(
        op, llvm_ir, cpu=cpu, opt_level=opt_level, stack_size=stack_size, timeout=timeout
    )
    if not reply.ok:
        raise _error_from(reply)
    return reply.payload


def emit_bpf_object(
    llvm_ir: str,
    *,
    cpu: str = "v3",
    opt_level: int = 2,
    stack_size: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> bytes:
    """Compile *llvm_ir* to a relocatable eBPF ELF object (``ET_REL``, ``EM_BPF``, LE).

    *stack_size* raises LLVM's per-function stack limit (default 512 bytes, the kernel's).
    Raises :class:`BpfBackendError` for invalid IR or anything the BPF backend rejects.
    """
    return _run("object", llvm_ir, cpu, opt_level, stack_size, timeout)


def emit_bpf_asm(
    llvm_ir: str,
    *,
    cpu: str = "v3",
    opt_level: int = 2,
    stack_size: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> str:
    """Like :func:`emit_bpf_object`, but return LLVM's BPF assembly text."""
    return _run("asm", llvm_ir, cpu, opt_level, stack_size, timeout).decode()


def optimized_ir(
    llvm_ir: str,
    *,
    cpu: str = "v3",
    opt_level: int = 2,
    stack_size: int | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> str:
    """The IR after retargeting to ``bpfel`` and the *opt_level* pipeline (``--emit llvm``)."""
    return _run("llvm", llvm_ir, cpu, opt_level, stack_size, timeout).decode()


def warm_up() -> None:
    """Start the worker now, so the first compile does not pay its start-up (~0.2 s)."""
    default_client().start()
