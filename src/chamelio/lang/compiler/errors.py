"""Compile errors of the handler language: ``file:line:col: message`` plus a hint."""

from __future__ import annotations

import ast

from chamelio.errors import ChamelioError


class LangCompileError(ChamelioError):
    """A construct the compiler rejects; the message says where and the hint what to write."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        col: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.reason = message
        self.file = file
        self.line = line
        self.col = col
        where = ""
        if file is not None or line is not None:
            where = f"{file or '<source>'}:{line or 0}:{col if col is not None else 0}: "
        super().__init__(where + message, hint)


class SourceLocator:
    """Turns AST node positions into file positions (the source may have been dedented)."""

    def __init__(self, file: str, line_offset: int = 0, col_offset: int = 0) -> None:
        self.file = file
        self.line_offset = line_offset
        self.col_offset = col_offset

    def position(self, node: ast.AST | None) -> tuple[int | None, int | None]:
        line = getattr(node, "lineno", None)
        col = getattr(node, "col_offset", None)
        if line is None:
            return None, None
        return line + self.line_offset, (col or 0) + self.col_offset + 1

    def error(self, node: ast.AST | None, message: str, hint: str | None = None) -> LangCompileError:
        line, col = self.position(node)
        return LangCompileError(message, file=self.file, line=line, col=col, hint=hint)
