"""Reading the commands' inputs and writing their outputs, every failure a clear error.

Inputs are read as bytes with a size cap (``/dev/zero`` must not eat the memory) and
decoded here, so that a file that is not UTF-8 names itself and the place of the bad byte.
Outputs are written to a temporary file renamed over the target, so that a failed write
leaves an existing file as it was; an output that is the input is refused before anything
is written.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import tempfile
from pathlib import Path

from chamelio.errors import ChamelioError

MAX_INPUT_SIZE = 256 << 20  # no program, object or source file comes near this


def read_input(path: Path, *, limit: int = MAX_INPUT_SIZE) -> bytes:
    """The bytes of ``path``; a missing, unreadable or oversized file is a ChamelioError."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise ChamelioError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise ChamelioError(f"{path}: more than {limit >> 20} MiB, too large to be a program")
    return data


def read_stdin(*, limit: int = MAX_INPUT_SIZE) -> bytes:
    """The bytes of standard input (see :func:`read_input`)."""
    stream = sys.stdin
    try:
        if stream is None:
            raise OSError("there is no standard input")
        buffer = getattr(stream, "buffer", None)
        data: bytes = buffer.read(limit + 1) if buffer is not None else stream.read().encode()
    except (OSError, ValueError, UnicodeError) as exc:
        raise ChamelioError(f"cannot read <stdin>: {exc}") from None
    if len(data) > limit:
        raise ChamelioError(f"<stdin>: more than {limit >> 20} MiB, too large to be a program")
    return data


def decode_text(data: bytes, source: str) -> str:
    """``data`` as UTF-8 text (a leading BOM dropped); else an error naming the bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ChamelioError(
            f"{source}:{line}:{column}: not UTF-8 text (byte {data[exc.start]:#04x})",
            hint="source files are UTF-8 text",
        ) from None


def encode_name(value: str, option: str) -> bytes:
    """An option's string (argv may hold undecodable bytes) as UTF-8, without NUL bytes."""
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError:
        raise ChamelioError(f"{option} {value!r} is not valid UTF-8") from None
    if b"\0" in encoded:
        raise ChamelioError(f"{option} {value!r} holds a NUL byte")
    return encoded


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (links, ``..``, another spelling)."""
    try:
        if os.path.samefile(a, b):
            return True
    except (OSError, ValueError):
        pass
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except (OSError, ValueError):
        return False


def refuse_input_as_output(output: Path, input: Path) -> None:
    if same_file(output, input):
        raise ChamelioError(f"the output {output} is the input file {input}",
                            hint="choose another output name with -o")  # fmt: skip


def path_argument(text: str) -> Path:
    """argparse ``type`` of file arguments: ``Path("")`` would silently mean ``.``."""
    if not text:
        raise argparse.ArgumentTypeError("the file name is empty")
    return Path(text)


def write_output(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``: to a temporary file renamed over it, so that a failure
    leaves an existing file intact (devices, pipes and /proc links are written in place)."""
    try:
        _write(path, data)
    except OSError as exc:
        raise ChamelioError(f"cannot write {path}: {exc.strerror or exc}") from None


def _write(path: Path, data: bytes) -> None:
    try:
        existing: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        existing = None
    real = Path(os.path.realpath(path))  # a symlink is written through, not replaced
    special = existing is not None and not stat.S_ISREG(existing.st_mode)
    if special or real.is_relative_to("/proc"):  # /dev/stdout resolves to /proc/self/fd/1
        with open(path, "wb") as fh:  # a directory fails here, as it should
            fh.write(data)
        return
    path = real
    if existing is not None:
        mode = stat.S_IMODE(existing.st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:64]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
