"""Errors shared by every layer.

Every error a user can cause derives from :class:`ChamelioError`; the command line prints
its message (never a traceback) and exits with :attr:`ChamelioError.exit_code`.
"""

from __future__ import annotations


class ChamelioError(Exception):
    """A problem with user input or the environment, reported without a traceback."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class EnvironmentUnavailable(ChamelioError):
    """Something the host must provide (bpf(2), a TAP device, a tool) is missing."""
