"""``BPF_PROG_LOAD``: hand instruction bytes to the kernel verifier and keep the result.

The verifier's log is the oracle's main output besides the verdict: a successful load keeps
it on :attr:`LoadedProgram.log`, a refusal raises :class:`VerifierRejected` carrying it.
"""

from __future__ import annotations

import errno
import struct
from typing import NoReturn

from chamelio.ebpf.kernel.constants import (
    BPF_PSEUDO_MAP_FD,
    BPF_PSEUDO_MAP_VALUE,
    Cmd,
    prog_type_name,
    prog_type_of,
)
from chamelio.ebpf.kernel.errors import KernelError, KernelUnavailable, VerifierRejected, errno_text
from chamelio.ebpf.kernel.fdobject import FdObject
from chamelio.ebpf.kernel.maps import check_object_name
from chamelio.ebpf.kernel.syscall import (
    UNAVAILABLE_ERRNOS,
    Attr,
    Buffer,
    bpf,
    unavailable_hint,
)
from chamelio.ebpf.kernel.testrun import TestRunResult, run_program

INSN_SIZE = 8
LOG_SIZE_INITIAL = 64 * 1024
# The largest log every kernel accepts (before 5.2 the limit was UINT_MAX >> 8).
LOG_SIZE_MAX = 16 * 1024 * 1024 - 1
_LOG_SIZE_MIN = 128
_LOG_TAIL_LINES = 30
_LDDW = 0x18  # BPF_LD | BPF_IMM | BPF_DW


class LoadedProgram(FdObject):
    """A program the verifier accepted, owned through its file descriptor."""

    def __init__(self, fd: int, prog_type: int, name: str, log: str, insn_count: int) -> None:
        self._fd = fd
        self.prog_type = prog_type
        self.name = name
        self.log = log
        self.insn_count = insn_count



    @property
    def prog_type_name(self) -> str:
        return prog_type_name(self.prog_type)

    def test_run(
        self,
        data: bytes,
        repeat: int = 1,
        ctx_in: bytes | None = None,
        data_out_size: int | None = None,
        flags: int = 0,
    ) -> TestRunResult:
        """``BPF_PROG_TEST_RUN`` on ``data`` (see :class:`TestRunResult`).

        ``repeat`` runs the program that many times and reports the kernel's average
        duration; ``data_out_size`` bounds the bytes copied back (by default the input
        length plus room for a program that grows the packet).
        """
        return run_program(self.fd, self.prog_type, data, repeat, ctx_in, data_out_size, flags)




    def __repr__(self) -> str:
        state = "closed" if self.closed else f"fd={self._fd}"
        return f"LoadedProgram({self._label()}, {self.insn_count} insns, {state})"

    def _label(self) -> str:
        named = f" {self.name!r}" if self.name else ""
        return f"{self.prog_type_name} program{named}"


def _load_once(
    insns: Buffer,
    prog_type: int,
    license_buf: Buffer,
    name: str,
    log_level: int,
    log: Buffer | None,
    extra: tuple[int, int],
) -> tuple[int, int, int]:
    """One ``BPF_PROG_LOAD``: ``(fd, errno, log_true_size)``."""
    prog_flags, expected_attach_type = extra
    attr = Attr()
    attr.u32(0, prog_type)
    attr.u32(4, insns.size // INSN_SIZE)
    attr.ptr(8, insns)
    attr.ptr(16, license_buf)
    if log is not None:
        attr.u32(24, log_level)
        attr.u32(28, log.size)
        attr.ptr(32, log)
    attr.u32(44, prog_flags)
    attr.name(48, name)
    attr.u32(68, expected_attach_type)
    fd, err = bpf(Cmd.PROG_LOAD, attr)
    return fd, err, attr.get_u32(140)


def _log_text(log: Buffer | None) -> str:
    if log is None:
        return ""
    raw = log.read()
    return raw.split(b"\0", 1)[0].decode("utf-8", errors="replace")


def load_program(
    insns: bytes,
    prog_type: int | str,
    license: str = "GPL",
    name: str = "",
    log_level: int = 1,
    log_size: int = LOG_SIZE_INITIAL,
    *,
    prog_flags: int = 0,
    expected_attach_type: int = 0,
) -> LoadedProgram:
    """Load ``insns`` (raw 8-byte instructions, map references already patched to fds).

    ``prog_type`` is a number or a name (``"xdp"``, ``"socket_filter"``, ``"sched_cls"``).
    The verifier log is kept at ``log_level`` (1 by default; 2 traces every instruction);
    the log buffer starts at ``log_size`` bytes and grows up to 16 MiB while the kernel
    reports ENOSPC. With ``log_level=0`` no log is kept on success, but a refusal is
    retried at level 1 so that :class:`VerifierRejected` still carries the log.
    ``prog_flags`` (``BPF_F_*``) and ``expected_attach_type`` go to the kernel as given.
    """
    code = bytes(insns)
    type_id = prog_type_of(prog_type)
    kind = prog_type_name(type_id)
    check_object_name("program", name)
    if not code:
        raise KernelError(
            f"cannot load an empty {kind} program",
            hint="a program needs at least an exit instruction",
        )
    if len(code) % INSN_SIZE:
        raise KernelError(
            f"{kind} program is {len(code)} bytes, not a whole number of {INSN_SIZE}-byte instructions"
        )
    for label, value in (
        ("log_level", log_level),
        ("prog_flags", prog_flags),
        ("expected_attach_type", expected_attach_type),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
            raise KernelError(f"{label} must be a u32, not {value!r}")
    license_buf = Buffer(license.encode("utf-8", errors="replace") + b"\0")
    code_buf = Buffer(code)
    size = min(max(int(log_size), _LOG_SIZE_MIN), LOG_SIZE_MAX)
    level = log_level
    while True:
        log = Buffer(size) if level else None
        fd, err, true_size = _load_once(
            code_buf, type_id, license_buf, name, level, log, (prog_flags, expected_attach_type)
        )
        if not err:
            return LoadedProgram(fd, type_id, name, _log_text(log), len(code) // INSN_SIZE)
        if err in UNAVAILABLE_ERRNOS:
            raise KernelUnavailable(
                f"{Cmd.PROG_LOAD.kernel_name} failed ({kind} program): {errno_text(err)}",
                unavailable_hint(err),
                command=Cmd.PROG_LOAD.kernel_name,
                errno=err,
            )
        if err == errno.ENOSPC and level and size < LOG_SIZE_MAX:
            size = min(max(size * 4, true_size + 1), LOG_SIZE_MAX)
            continue
        if not level:
            level = 1  # refused without a log: load again to learn why
            continue
        _rejected(kind, len(code) // INSN_SIZE, err, _log_text(log), size)


def _rejected(kind: str, count: int, err: int, log: str, log_size: int) -> NoReturn:
    cmd = Cmd.PROG_LOAD.kernel_name
    noun = "instruction" if count == 1 else "instructions"
    message = (
        f"the kernel refused the {kind} program ({count} {noun}): {cmd} failed: {errno_text(err)}"
    )
    lines = log.rstrip("\n").splitlines()
    if lines:
        shown = lines[-_LOG_TAIL_LINES:]
        skipped = (
            f"  ... ({len(lines) - len(shown)} earlier lines in .log)\n"
            if len(lines) > len(shown)
            else ""
        )
        message += "\nverifier log:\n" + skipped + "\n".join(f"  {line}" for line in shown)
    hint = None
    if err == errno.ENOSPC:
        hint = f"the verifier log did not fit in {log_size} bytes; the log shown is its tail"
    elif err == errno.EINVAL and not lines:
        hint = "refused before verification: check the program type, the license and the instruction encoding"
    elif err == errno.E2BIG:
        hint = "the program is too large (the kernel takes up to 1M instructions as root, 4096 otherwise)"
    raise VerifierRejected(message, log, hint, command=cmd, errno=err)


def patch_map_fds(insns: bytes, fds: dict[int, int]) -> bytes:
    """Rewrite each ``lddw`` whose src is a map (1) or map value (2) from map index to fd.

    In the program form the loader produces, such an ``lddw`` carries an index into the
    program's map list in ``imm``; the kernel wants the map's file descriptor there.
    ``fds`` maps index to fd. Pure byte manipulation: nothing is loaded.
    """
    code = bytearray(insns)
    if len(code) % INSN_SIZE:
        raise KernelError(
            f"program is {len(code)} bytes, not a whole number of {INSN_SIZE}-byte instructions"
        )
    count = len(code) // INSN_SIZE
    pc = 0
    while pc < count:
        at = pc * INSN_SIZE
        opcode, regs, _off, imm = struct.unpack_from("<BBhi", code, at)
        if opcode != _LDDW:
            pc += 1
            continue
        if pc + 1 >= count:
            raise KernelError(f"lddw at pc {pc} is truncated: its second slot is missing")
        src = regs >> 4
        if src in (BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE):
            if imm not in fds:
                known = ", ".join(str(i) for i in sorted(fds)) or "none"
                raise KernelError(
                    f"lddw at pc {pc} references map index {imm}, but no fd was given for it",
                    hint=f"map indexes with fds: {known}",
                )
            struct.pack_into("<i", code, at + 4, _as_i32(fds[imm]))
        pc += 2
    return bytes(code)


def _as_i32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value
