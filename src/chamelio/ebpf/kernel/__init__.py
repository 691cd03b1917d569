"""The kernel oracle: Linux ``bpf(2)`` through ctypes.

Create maps (:class:`KernelMap`), load programs and read the verifier log
(:func:`load_program`), and run them on packets with ``BPF_PROG_TEST_RUN``
(:meth:`LoadedProgram.test_run`). :func:`kernel_available` says whether this process may
use ``bpf(2)`` at all (root or CAP_BPF is needed) and why not.

Example::

    ok, reason = kernel_available()
    with load_program(code, "xdp") as prog:
        result = prog.test_run(packet, repeat=1000)
        print(result.retval, result.duration_ns, prog.log)
"""

from chamelio.ebpf.kernel.constants import (
    BPF_ANY,
    BPF_EXIST,
    BPF_F_LOCK,
    BPF_NOEXIST,
    BPF_PSEUDO_MAP_FD,
    BPF_PSEUDO_MAP_VALUE,
    ETH_HLEN,
    XDP_ABORTED,
    XDP_DROP,
    XDP_PASS,
    XDP_REDIRECT,
    XDP_TX,
    Cmd,
    MapType,
    ProgType,
    map_type_of,
    prog_type_of,
)
from chamelio.ebpf.kernel.errors import (
    KernelError,
    KernelUnavailable,
    MapFullError,
    MapKeyError,
    VerifierRejected,
)
from chamelio.ebpf.kernel.maps import KernelMap, possible_cpus
from chamelio.ebpf.kernel.probe import kernel_available
from chamelio.ebpf.kernel.program import (
    LOG_SIZE_MAX,
    LoadedProgram,
    load_program,
    patch_map_fds,
)
from chamelio.ebpf.kernel.testrun import TestRunResult

__all__ = [
    "BPF_ANY",
    "BPF_EXIST",
    "BPF_F_LOCK",
    "BPF_NOEXIST",
    "BPF_PSEUDO_MAP_FD",
    "BPF_PSEUDO_MAP_VALUE",
    "ETH_HLEN",
    "LOG_SIZE_MAX",
    "XDP_ABORTED",
    "XDP_DROP",
    "XDP_PASS",
    "XDP_REDIRECT",
    "XDP_TX",
    "Cmd",
    "KernelError",
    "KernelMap",
    "KernelUnavailable",
    "LoadedProgram",
    "MapFullError",
    "MapKeyError",
    "MapType",
    "ProgType",
    "TestRunResult",
    "VerifierRejected",
    "kernel_available",
    "load_program",
    "map_type_of",
    "patch_map_fds",
    "possible_cpus",
    "prog_type_of",
]
