"""The kernel's numbers for ``bpf(2)``: commands, program types, map types and flags.

Values are those of ``include/uapi/linux/bpf.h``; names are the kernel's without their
``BPF_`` / ``BPF_PROG_TYPE_`` / ``BPF_MAP_TYPE_`` prefix. Strings such as ``"xdp"`` or
``"percpu_array"`` resolve through :func:`prog_type_of` and :func:`map_type_of`.
"""

from __future__ import annotations

import enum

from chamelio.ebpf.kernel.errors import KernelError


class Cmd(enum.IntEnum):
    """``enum bpf_cmd`` (the commands this package issues, and a few neighbours)."""

    MAP_CREATE = 0
    MAP_LOOKUP_ELEM = 1
    MAP_UPDATE_ELEM = 2
    MAP_DELETE_ELEM = 3
    MAP_GET_NEXT_KEY = 4
    PROG_LOAD = 5
    OBJ_PIN = 6
    OBJ_GET = 7
    PROG_ATTACH = 8
    PROG_DETACH = 9
    PROG_TEST_RUN = 10

    @property
    def kernel_name(self) -> str:
        """The command as the kernel spells it, e.g. ``BPF_PROG_LOAD``."""
        return f"BPF_{self.name}"


class ProgType(enum.IntEnum):
    """``enum bpf_prog_type``."""

    UNSPEC = 0
    SOCKET_FILTER = 1
    KPROBE = 2
    SCHED_CLS = 3
    SCHED_ACT = 4
    TRACEPOINT = 5
    XDP = 6
    PERF_EVENT = 7
    CGROUP_SKB = 8
    CGROUP_SOCK = 9
    LWT_IN = 10
    LWT_OUT = 11
    LWT_XMIT = 12
    SOCK_OPS = 13
    SK_SKB = 14
    CGROUP_DEVICE = 15
    SK_MSG = 16
    RAW_TRACEPOINT = 17
    CGROUP_SOCK_ADDR = 18
    LWT_SEG6LOCAL = 19
    LIRC_MODE2 = 20
    SK_REUSEPORT = 21
    FLOW_DISSECTOR = 22
    CGROUP_SYSCTL = 23
    RAW_TRACEPOINT_WRITABLE = 24
    CGROUP_SOCKOPT = 25
    TRACING = 26
    STRUCT_OPS = 27
    EXT = 28
    LSM = 29
    SK_LOOKUP = 30
    SYSCALL = 31
    NETFILTER = 32


class MapType(enum.IntEnum):
    """``enum bpf_map_type``."""

    UNSPEC = 0
    HASH = 1
    ARRAY = 2
    PROG_ARRAY = 3
    PERF_EVENT_ARRAY = 4
    PERCPU_HASH = 5
    PERCPU_ARRAY = 6
    STACK_TRACE = 7
    CGROUP_ARRAY = 8
    LRU_HASH = 9
    LRU_PERCPU_HASH = 10
    LPM_TRIE = 11
    ARRAY_OF_MAPS = 12
    HASH_OF_MAPS = 13
    DEVMAP = 14
    SOCKMAP = 15
    CPUMAP = 16
    XSKMAP = 17
    SOCKHASH = 18
    CGROUP_STORAGE = 19
    REUSEPORT_SOCKARRAY = 20
    PERCPU_CGROUP_STORAGE = 21
    QUEUE = 22
    STACK = 23
    SK_STORAGE = 24
    DEVMAP_HASH = 25
    STRUCT_OPS = 26
    RINGBUF = 27
    INODE_STORAGE = 28
    TASK_STORAGE = 29
    BLOOM_FILTER = 30
    USER_RINGBUF = 31
    CGRP_STORAGE = 32
    ARENA = 33


# Map types whose lookup/update value holds one slot per possible CPU.
PERCPU_MAP_TYPES = frozenset(
    {
        MapType.PERCPU_HASH,
        MapType.PERCPU_ARRAY,
        MapType.LRU_PERCPU_HASH,
        MapType.PERCPU_CGROUP_STORAGE,
    }
)

# Map types indexed by a u32 whose entries always exist (delete fails with EINVAL).
ARRAY_MAP_TYPES = frozenset({MapType.ARRAY, MapType.PERCPU_ARRAY})

# Program types whose BPF_PROG_TEST_RUN takes a packet (data_in must hold an Ethernet header).
PACKET_PROG_TYPES = frozenset(
    {
        ProgType.SOCKET_FILTER,
        ProgType.SCHED_CLS,
        ProgType.SCHED_ACT,
        ProgType.XDP,
        ProgType.CGROUP_SKB,
        ProgType.LWT_IN,
        ProgType.LWT_OUT,
        ProgType.LWT_XMIT,
    }
)

# Update flags for BPF_MAP_UPDATE_ELEM.
BPF_ANY = 0
BPF_NOEXIST = 1
BPF_EXIST = 2
BPF_F_LOCK = 4

# lddw pseudo sources that name a map.
BPF_PSEUDO_MAP_FD = 1
BPF_PSEUDO_MAP_VALUE = 2

# XDP verdicts (the return value of an XDP program).
XDP_ABORTED = 0
XDP_DROP = 1
XDP_PASS = 2
XDP_TX = 3
XDP_REDIRECT = 4

ETH_HLEN = 14
BPF_OBJ_NAME_LEN = 16


def _resolve(kind: str, enum_type: type[enum.IntEnum], value: int | str) -> int:
    if isinstance(value, str):
        key = value.strip().upper().replace("-", "_")
        for prefix in ("BPF_PROG_TYPE_", "BPF_MAP_TYPE_"):
            key = key.removeprefix(prefix)
        try:
            return int(enum_type[key])
        except KeyError:
            known = ", ".join(m.name.lower() for m in enum_type if m.value)
            raise KernelError(f"unknown {kind} {value!r}", hint=f"known: {known}") from None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        raise KernelError(f"{kind} must be a name or a u32, not {value!r}")
    return int(value)


def prog_type_of(value: int | str) -> int:
    """The numeric program type for ``"xdp"``, ``"socket_filter"``, ``ProgType.XDP``, ``6`` ..."""
    return _resolve("program type", ProgType, value)


def map_type_of(value: int | str) -> int:
    """The numeric map type for ``"hash"``, ``"percpu_array"``, ``MapType.ARRAY``, ``2`` ..."""
    return _resolve("map type", MapType, value)


def prog_type_name(prog_type: int) -> str:
    """``"xdp"`` for 6; the number itself for types this table does not know."""
    try:
        return ProgType(prog_type).name.lower()
    except ValueError:
        return f"type {prog_type}"


def map_type_name(map_type: int) -> str:
    """``"percpu_array"`` for 6; the number itself for types this table does not know."""
    try:
        return MapType(map_type).name.lower()
    except ValueError:
        return f"type {map_type}"
