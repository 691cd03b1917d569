"""Can this process use ``bpf(2)``? Asked once, by doing what the oracle does.

The probe creates an array map, loads a two-instruction XDP program and test-runs it; the
first step that fails gives the reason (not Linux, EPERM, ENOSYS, a seccomp filter ...).
"""

from __future__ import annotations

import functools
import platform
import struct
from pathlib import Path

from chamelio.ebpf.kernel.constants import XDP_PASS, MapType
from chamelio.ebpf.kernel.errors import KernelError
from chamelio.ebpf.kernel.maps import KernelMap
from chamelio.ebpf.kernel.program import load_program
from chamelio.ebpf.kernel.syscall import platform_problem

# mov64 r0, XDP_PASS; exit
_PASS_PROGRAM = struct.pack("<BBhi", 0xB7, 0, 0, XDP_PASS) + struct.pack("<BBhi", 0x95, 0, 0, 0)


def _seccomp_note() -> str:
    """`` (a seccomp filter is active)`` when /proc says so, else empty."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Seccomp:") and line.split()[1:] == ["2"]:
                return "; a seccomp filter is active on this process and may block bpf(2)"
    except OSError:
        pass
    return ""


def _probe() -> tuple[bool, str]:
    problem = platform_problem()
    if problem is not None:
        return False, problem
    try:
        with KernelMap.create(MapType.ARRAY, 4, 4, 1, name="chamelio_probe"):
            pass
        with load_program(_PASS_PROGRAM, "xdp", name="chamelio_probe") as prog:
            result = prog.test_run(bytes(64))
    except KernelError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        return False, f"{exc.message}{hint}{_seccomp_note()}"
    if result.retval != XDP_PASS:
        return (
            False,
            f"BPF_PROG_TEST_RUN returned {result.retval} for a program returning {XDP_PASS}",
        )
    return True, f"bpf(2) works (Linux {platform.release()}, map create, prog load, test run)"


@functools.cache
def kernel_available() -> tuple[bool, str]:
    """``(True, summary)`` when maps, loads and test runs work here; else ``(False, reason)``."""
    return _probe()
