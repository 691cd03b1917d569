"""The raw ``bpf(2)`` system call through ctypes, and the ``union bpf_attr`` buffer.

Only this module touches libc. :func:`bpf` returns ``(result, errno)`` so that each caller
maps the errno values it expects (ENOENT on lookup, ENOSPC on a short log) to its own
meaning; :func:`fail` turns the rest into a :class:`KernelError`.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import platform
import struct
import sys
from typing import NoReturn

from chamelio.ebpf.kernel.constants import Cmd
from chamelio.ebpf.kernel.errors import KernelError, KernelUnavailable, errno_text

# ``__NR_bpf`` per machine (the generic syscall table gives 280 on arm64 and riscv64).
SYSCALL_NUMBERS = {"x86_64": 321, "amd64": 321, "aarch64": 280, "arm64": 280, "riscv64": 280}

# The part of ``union bpf_attr`` this package writes and reads (BPF_PROG_LOAD ends at
# ``log_true_size``, offset 140). The kernel zero-fills whatever newer fields it has.
ATTR_SIZE = 144

AttrBuffer = ctypes.Array[ctypes.c_char]


class Buffer:
    """A block of C memory that the kernel reads or writes, alive as long as this object."""

    def __init__(self, size_or_data: int | bytes) -> None:
        if isinstance(size_or_data, int):
            self.size = size_or_data
            self._raw = ctypes.create_string_buffer(max(self.size, 1))
        else:
            self.size = len(size_or_data)
            self._raw = ctypes.create_string_buffer(bytes(size_or_data), max(self.size, 1))

    @property
    def address(self) -> int:
        """The pointer to pass in an attr field (0 for an empty buffer)."""
        return ctypes.addressof(self._raw) if self.size else 0

    def read(self, length: int | None = None) -> bytes:
        n = self.size if length is None else max(0, min(length, self.size))
        return self._raw.raw[:n]


class Attr:
    """A zeroed ``union bpf_attr`` with typed setters and getters at byte offsets."""

    def __init__(self) -> None:
        self.raw: AttrBuffer = ctypes.create_string_buffer(ATTR_SIZE)
        self._keep: list[Buffer] = []

    def u32(self, offset: int, value: int) -> None:
        struct.pack_into("<I", self.raw, offset, value & 0xFFFFFFFF)

    def u64(self, offset: int, value: int) -> None:
        struct.pack_into("<Q", self.raw, offset, value & 0xFFFFFFFFFFFFFFFF)

    def ptr(self, offset: int, buffer: Buffer | None) -> None:
        """Store ``buffer``'s address (NULL for ``None``) and keep it alive with this attr."""
        if buffer is not None:
            self._keep.append(buffer)
        self.u64(offset, buffer.address if buffer is not None else 0)

    def name(self, offset: int, name: str) -> None:
        data = name.encode("ascii")
        struct.pack_into(f"{len(data)}s", self.raw, offset, data)

    def get_u32(self, offset: int) -> int:
        value: int = struct.unpack_from("<I", self.raw, offset)[0]
        return value


class _Libc:
    """The loaded ``syscall`` entry point, or the reason there is none."""

    def __init__(self) -> None:
        self.number: int | None = None
        self.function: ctypes._FuncPointer | None = None
        self.reason = ""
        if not sys.platform.startswith("linux"):
            self.reason = f"not Linux (platform is {sys.platform})"
            return
        machine = platform.machine().lower()
        self.number = SYSCALL_NUMBERS.get(machine)
        if self.number is None:
            self.reason = f"no bpf(2) syscall number known for machine {machine!r}"
            return
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            function = libc.syscall
        except (OSError, AttributeError) as exc:
            self.reason = f"cannot reach libc's syscall(): {exc}"
            return
        function.restype = ctypes.c_long
        function.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_ulong]
        self.function = function


@functools.cache
def _libc() -> _Libc:
    return _Libc()


def platform_problem() -> str | None:
    """Why ``bpf(2)`` cannot even be called on this platform, or ``None``."""
    lib = _libc()
    return None if lib.function is not None else lib.reason


def bpf(cmd: Cmd, attr: Attr) -> tuple[int, int]:
    """Issue ``bpf(cmd, attr, ATTR_SIZE)``: ``(result, 0)`` on success, ``(-1, errno)`` on failure."""
    lib = _libc()
    if lib.function is None or lib.number is None:
        raise KernelUnavailable(f"bpf(2) unavailable: {lib.reason}", command=cmd.kernel_name)
    ctypes.set_errno(0)
    result = int(lib.function(lib.number, int(cmd), ctypes.addressof(attr.raw), ATTR_SIZE))
    if result < 0:
        return -1, ctypes.get_errno() or 0
    return result, 0


# errno values that mean "you may not use bpf(2) here" rather than "this request is wrong".
UNAVAILABLE_ERRNOS = {1: "EPERM", 38: "ENOSYS"}


def unavailable_hint(err: int) -> str:
    if err == 38:
        return "the kernel has no bpf(2) (ENOSYS): built without CONFIG_BPF_SYSCALL, or a seccomp filter blocks it"
    return (
        "run as root (or with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON); a container's seccomp "
        "profile may also block bpf(2), and kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK"
    )


def fail(
    cmd: Cmd, err: int, what: str = "", hint: str | None = None, *, eperm_unavailable: bool = True
) -> NoReturn:
    """Raise the :class:`KernelError` for ``cmd`` failing with ``err``.

    ``what`` says what was being done (``"updating key 01000000 of hash map 'm'"``).
    ENOSYS, and EPERM unless ``eperm_unavailable`` is false (on an existing map EPERM means
    a read-only map, not a missing privilege), raise :class:`KernelUnavailable` instead.
    """
    subject = f" ({what})" if what else ""
    message = f"{cmd.kernel_name} failed{subject}: {errno_text(err)}"
    if err in UNAVAILABLE_ERRNOS and (eperm_unavailable or err != 1):
        raise KernelUnavailable(
            message, hint or unavailable_hint(err), command=cmd.kernel_name, errno=err
        )
    raise KernelError(message, hint, command=cmd.kernel_name, errno=err)


def close_fd(fd: int) -> None:
    """Close a descriptor the kernel gave us, ignoring one already gone."""
    with contextlib.suppress(OSError):
        os.close(fd)
