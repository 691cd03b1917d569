"""The helper table: every function a handler may call, as data.

Each :class:`Helper` carries its id (the ``imm`` of ``call``; kernel ids for kernel helpers,
ids from 1000 up for Chamelio's own), its argument and return kinds (read by the verifier
and the compiler), its cost in the contract's units (one unit = one eBPF instruction), the
symbol of its native implementation in the fast path, and a reference implementation in
Python that the interpreter and the plain-Python execution call through a :class:`HelperEnv`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from chamelio.abi.kinds import ArgKind, RetKind

U64 = (1 << 64) - 1


class HelperEnv(Protocol):
    """What a helper may do to the machine it runs in. The interpreter implements this with
    checked memory; each method traps (raises) on an access outside a granted region."""

    def read(self, addr: int, size: int) -> bytes: ...
    def write(self, addr: int, data: bytes) -> None: ...
    def map_lookup(self, map_ref: int, key: bytes) -> int: ...  # address of the value or 0
    def map_update(self, map_ref: int, key: bytes, value: bytes, flags: int) -> int: ...
    def map_delete(self, map_ref: int, key: bytes) -> int: ...
    def map_key_size(self, map_ref: int) -> int: ...
    def map_value_size(self, map_ref: int) -> int: ...
    def now_ns(self) -> int: ...
    def random_u32(self) -> int: ...
    # Chamelio flow I/O (the fast path's buffers); return bytes moved or a negative errno.
    def rx_deliver(self, ctx: int, data: bytes) -> int: ...
    def tx_fill(self, ctx: int, offset: int, length: int) -> bytes: ...
    def emit(self, ctx: int, data: bytes) -> int: ...
    def notify_app(self, ctx: int, event: int) -> int: ...
    def rearm_tx(self, ctx: int) -> int: ...


Impl = Callable[[HelperEnv, tuple[int, int, int, int, int]], int]

EINVAL = 22
E2BIG = 7


@dataclass(frozen=True, slots=True)
class Helper:
    id: int
    name: str
    args: tuple[ArgKind, ...]
    ret: RetKind
    cost: int  # fixed cost in contract units
    symbol: str  # native implementation in the fast path
    impl: Impl  # reference implementation
    cost_per_byte: int = 0  # extra cost per byte of the size argument (bounded by the verifier)
    size_arg: int | None = None  # index (0-based) of the argument that cost_per_byte multiplies
    max_size: int = 0  # clamp applied by the helper itself; 0 = the verifier bounds it
    doc: str = ""

    def worst_cost(self, size_bound: int | None = None) -> int:
        """Cost of one call, given an upper bound of the size argument (if it has one)."""
        if self.size_arg is None or self.cost_per_byte == 0:
            return self.cost
        bound = size_bound if size_bound is not None else self.max_size
        if self.max_size:
            bound = min(bound, self.max_size)
        return self.cost + self.cost_per_byte * bound


# ---- reference implementations ------------------------------------------------------------

def _map_lookup(env: HelperEnv, a: tuple[int, int, int, int, int]) -> int:
    key = env.read(a[1], env.map_key_size(a[0]))
    return env.map_lookup(a[0], key)


def _map_update(env: HelperEnv, a: tuple[int, int, int, int, int]) -> int:
    key = env.read(a[1], env.map_key_size(a[0]))
    value = env.read(a[2], env.map_value_size(a[0]))
    return env.map_update(a[0], key, value, a[3]) & U64


def _map_delete(env: HelperEnv, a: tuple[int, int, int, int, int]) -> int:
    key = env.read(a[1], env.map_key_size(a[0]))
    return env.map_delete(a[0], key) & U64


def _ktime(env: HelperEnv, a: tuple[int, int, int, int, int]) -> int:
    return env.now_ns() & U64


def _prandom(env: HelperEnv, a: tuple[int, int, int, int, int]) -> int:
    return env.random_u32() & 0xFFFFFFFF


def _cpu_id(env: HelperEnv, a: tuple[int, int, int, int, int]) -> int:
    return 0


def ones_complement_sum(data: bytes, seed: int = 0) -> int:
    """32-bit accumulating one's-complement sum of 32-bit words, the way the kernel's
    ``csum_partial`` feeds ``bpf_csum_diff`` (folded to 32 bits, not to 16)."""
    total = seed & 0xFFFFFFFF
    for i in range(0, len(data) - len(data) % 4, 4):
        total += int.from_bytes(data[i:i + 4], "little")
        total = (total & 0xFFFFFFFF) + (total >> 32)
    return total & 0xFFFFFFFF


def _csum_diff(env: HelperEnv, a: tuple[int, int, int, int, int]) -> int:
    from_ptr, from_size, to_ptr, to_size, seed = a
    if from_size % 4 or to_size % 4 or from_size > 512 or to_size > 512:
        return (-EINVAL) & U64
    removed = env.read(from_ptr, from_size) if from_size else b""
    added = env.read(to_ptr, to_size) if to_size else b""
    inverted = bytes(b ^ 0xFF for b in removed)
    return fold16(ones_complement_sum(inverted + added, seed))


def fold16(value: int) -> int:
    """Fold a 32-bit one's-complement sum to 16 bits (end-around carry), as Linux 6.12 and
    later do for ``bpf_csum_diff``'s result on every architecture."""
    while value > 0xFFFF:
        value = (value & 0xFFFF) + (value >> 16)
    return value


def _rx_deliver(env: HelperEnv, a: tuple[int, int, int, int, int]) -> int:
    ctx, ptr, size = a[0], a[1], a[2]
    return env.rx_deliver(ctx, env.read(ptr, size) if size else b"") & U64


def _tx_fill(env: HelperEnv, a: tuple[int, int, int, int, int]) -> int:
    ctx, dst, size, offset = a[0], a[1], a[2], a[3]
    data = env.tx_fill(ctx, offset, size)
    if data:
        env.write(dst, data)
    return len(data)


def _emit(env: HelperEnv, a: tuple[int, int, int, int, int]) -> int:
    ctx, ptr, size = a[0], a[1], a[2]
    return env.emit(ctx, env.read(ptr, size)) & U64


def _notify(env: HelperEnv, a: tuple[int, int, int, int, int]) -> int:
    return env.notify_app(a[0], a[1]) & U64


def _rearm(env: HelperEnv, a: tuple[int, int, int, int, int]) -> int:
    return env.rearm_tx(a[0]) & U64


# ---- the table ----------------------------------------------------------------------------

A = ArgKind
_TABLE: tuple[Helper, ...] = (
    Helper(1, "map_lookup_elem", (A.CONST_MAP_PTR, A.PTR_TO_MAP_KEY), RetKind.PTR_TO_MAP_VALUE_OR_NULL,
           20, "chamelio_helper_map_lookup_elem", _map_lookup,
           doc="pointer to the value stored under key, or NULL"),
    Helper(2, "map_update_elem", (A.CONST_MAP_PTR, A.PTR_TO_MAP_KEY, A.PTR_TO_MAP_VALUE, A.ANYTHING),
           RetKind.INTEGER, 30, "chamelio_helper_map_update_elem", _map_update,
           doc="store value under key; flags BPF_ANY/NOEXIST/EXIST; 0 or a negative errno"),
    Helper(3, "map_delete_elem", (A.CONST_MAP_PTR, A.PTR_TO_MAP_KEY), RetKind.INTEGER,
           25, "chamelio_helper_map_delete_elem", _map_delete, doc="0 or a negative errno"),
    Helper(5, "ktime_get_ns", (), RetKind.INTEGER, 10, "chamelio_helper_ktime_get_ns", _ktime,
           doc="monotonic time in nanoseconds"),
    Helper(7, "get_prandom_u32", (), RetKind.INTEGER, 8, "chamelio_helper_get_prandom_u32", _prandom,
           doc="a pseudo-random u32"),
    Helper(8, "get_smp_processor_id", (), RetKind.INTEGER, 2, "chamelio_helper_get_smp_processor_id",
           _cpu_id, doc="the current core (0 in the interpreter)"),
    Helper(28, "csum_diff", (A.PTR_TO_MEM, A.CONST_SIZE_OR_ZERO, A.PTR_TO_MEM, A.CONST_SIZE_OR_ZERO,
                             A.ANYTHING), RetKind.INTEGER, 20, "chamelio_helper_csum_diff", _csum_diff,
           cost_per_byte=1, size_arg=1, max_size=512,
           doc="one's-complement checksum difference, folded to 16 bits (sizes multiples of 4, at most 512)"),
    Helper(1001, "rx_deliver", (A.PTR_TO_CTX, A.PTR_TO_MEM, A.CONST_SIZE_OR_ZERO), RetKind.INTEGER,
           30, "chamelio_helper_rx_deliver", _rx_deliver, cost_per_byte=1, size_arg=2, max_size=9000,
           doc="append bytes to the flow's receive buffer; returns bytes accepted"),
    Helper(1002, "tx_fill", (A.PTR_TO_CTX, A.PTR_TO_UNINIT_MEM, A.CONST_SIZE_OR_ZERO, A.ANYTHING),
           RetKind.INTEGER, 30, "chamelio_helper_tx_fill", _tx_fill, cost_per_byte=1, size_arg=2,
           max_size=9000, doc="copy send-buffer bytes from offset into the packet; returns bytes copied"),
    Helper(1003, "emit", (A.PTR_TO_CTX, A.PTR_TO_MEM, A.CONST_SIZE), RetKind.INTEGER, 40,
           "chamelio_helper_emit", _emit, cost_per_byte=1, size_arg=2, max_size=128,
           doc="transmit an extra packet (e.g. an ACK) built in memory; 0 or a negative errno"),
    Helper(1004, "notify_app", (A.PTR_TO_CTX, A.ANYTHING), RetKind.INTEGER, 15,
           "chamelio_helper_notify_app", _notify, doc="post an event to the flow's app queue"),
    Helper(1005, "rearm_tx", (A.PTR_TO_CTX,), RetKind.INTEGER, 10, "chamelio_helper_rearm_tx", _rearm,
           doc="schedule the flow's tx hook again"),
)

HELPERS: dict[int, Helper] = {h.id: h for h in _TABLE}
HELPERS_BY_NAME: dict[str, Helper] = {h.name: h for h in _TABLE}


def helper(key: int | str) -> Helper:
    table: dict[int, Helper] | dict[str, Helper] = HELPERS if isinstance(key, int) else HELPERS_BY_NAME
    try:
        return table[key]  # type: ignore[index]
    except KeyError:
        raise KeyError(f"unknown helper {key!r}") from None
