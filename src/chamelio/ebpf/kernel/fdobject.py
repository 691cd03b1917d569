"""The life cycle every kernel object we hold shares: one file descriptor, closed once."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from chamelio.ebpf.kernel.errors import KernelError
from chamelio.ebpf.kernel.syscall import close_fd


class FdObject:
    """Owns a descriptor: ``fd`` (raises once closed), ``closed``, ``close()``, use as a
    context manager, and a ``__del__`` fallback so a forgotten object does not leak."""

    _fd: int = -1

    def _label(self) -> str:
        return type(self).__name__

    @property
    def fd(self) -> int:
        if self._fd < 0:
            raise KernelError(f"{self._label()} is closed")
        return self._fd

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def close(self) -> None:
        """Release the descriptor (the kernel frees the object once nothing uses it)."""
        fd, self._fd = self._fd, -1
        if fd >= 0:
            close_fd(fd)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # No contextlib here: at interpreter shutdown module globals may already be None.
        try:  # noqa: SIM105
            self.close()
        except Exception:
            pass
