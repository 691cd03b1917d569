"""Errors of the kernel oracle.

Every failure of a ``bpf(2)`` command becomes a :class:`KernelError` naming the command and
the errno (symbol and text), never a bare :class:`OSError`.
"""

from __future__ import annotations

import errno as errno_module
import os

from chamelio.errors import ChamelioError, EnvironmentUnavailable

# Kernel-internal errno values that leak to user space through bpf(2).
_KERNEL_ERRNOS = {
    524: ("ENOTSUPP", "Operation is not supported"),
}


def errno_text(err: int) -> str:
    """``"EEXIST (File exists)"`` for 17."""
    if err in _KERNEL_ERRNOS:
        name, text = _KERNEL_ERRNOS[err]
    else:
        name, text = errno_module.errorcode.get(err, f"errno {err}"), os.strerror(err)
    return f"{name} ({text})"


class KernelError(ChamelioError):
    """A ``bpf(2)`` command failed, or its arguments were refused before the call.

    ``command`` is the kernel's name of the command (``"BPF_MAP_UPDATE_ELEM"``) and ``errno``
    the error number, both ``None`` when the arguments were refused before any system call.
    """

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        command: str | None = None,
        errno: int | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.command = command
        self.errno = errno


class KernelUnavailable(KernelError, EnvironmentUnavailable):
    """``bpf(2)`` cannot be used here: not Linux, no permission (EPERM), no syscall (ENOSYS)."""


class VerifierRejected(KernelError):
    """``BPF_PROG_LOAD`` refused the program; :attr:`log` holds the verifier's log text."""

    def __init__(
        self,
        message: str,
        log: str,
        hint: str | None = None,
        *,
        command: str | None = None,
        errno: int | None = None,
    ) -> None:
        super().__init__(message, hint, command=command, errno=errno)
        self.log = log


class MapKeyError(KernelError, KeyError):
    """A map update or delete failed on the key: it exists (EEXIST) or does not (ENOENT)."""


class MapFullError(KernelError):
    """A map update failed with E2BIG: the map is full, or the array index is out of range."""
