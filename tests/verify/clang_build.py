"""Compile C handlers with ``clang -target bpf`` against the generated ``chamelio.h``.

Shared by the C-handler and verify-CLI tests. :func:`clang` skips the calling test, with the
reason printed, only when clang is not installed (``.ci/run`` installs Debian's clang).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from chamelio.abi.cheader import render

REPO = Path(__file__).resolve().parents[2]
C_EXAMPLES = REPO / "examples" / "c"
CFLAGS = ("-target", "bpf", "-O2", "-g", "-Wall", "-Wextra", "-Werror")


def clang() -> str:
    path = shutil.which("clang")
    if path is None:
        pytest.skip("clang is not installed (.ci/run installs Debian's clang)")
    return path


def write_header(directory: Path) -> Path:
    header = directory / "chamelio.h"
    header.write_text(render())
    return header


def compile_c(source: Path, out: Path, include: Path) -> Path:
    """``clang -target bpf -O2 -g -c source -o out`` with ``include`` on the include path;
    a compile error fails the test with clang's message."""
    result = subprocess.run([clang(), *CFLAGS, "-I", str(include), "-c", str(source), "-o", str(out)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"clang failed on {source}:\n{result.stderr}"
    return out
