"""Provider-side (native-only) code: externs, raw pointers, atomics, unbounded loops."""

# mypy: ignore-errors
# (lang source: int literals take their operand's type, which mypy cannot express)

from __future__ import annotations

from chamelio.lang import Ptr, XdpAction, XdpCtx, i64, u8, u32, u64
from chamelio.lang.compiler.infra import (
    Order,
    addr_of,
    atomic_add,
    atomic_cas,
    atomic_load,
    atomic_store,
    extern,
    fence,
    raw_ptr,
)

strlen = extern("strlen", [Ptr[u8]], u64)
labs = extern("labs", [i64], i64)


def counter(p: Ptr[u64], n: u64) -> u64:
    old = atomic_add(p, n, Order.RELAXED)
    atomic_store(p, atomic_load(p, Order.ACQUIRE) + 1, order=Order.RELEASE)
    fence()
    prev = atomic_cas(p, old + n + 1, u64(100), Order.ACQ_REL)
    return prev + u64(labs(i64(-5)))


def c_string_length(address: u64) -> u64:
    p = raw_ptr(u8, address)
    return strlen(p) + (addr_of(p) - address)


def scan(address: u64, stop: u8) -> u32:
    """An unbounded loop: the index of the first byte equal to ``stop``."""
    p = raw_ptr(u8, address, 8)
    i = u32(0)  # typed: plain Python must wrap like the compiled code
    while True:
        if p[i] == stop:
            break
        i += 1
    return i


def first_byte(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(1):
        return XdpAction.ABORTED
    return u32(pkt.u8(0)) % 5
