"""Structs and handlers of the layout tests (lang source)."""

# mypy: ignore-errors
# (lang source: int literals take their operand's type, which mypy cannot express)

from __future__ import annotations

from chamelio.lang import Array, ArrayMap, Ptr, XdpAction, XdpCtx, struct, u8, u16, u32, u64


@struct
class A:
    x: u8


@struct
class B:
    a: u8
    b: u32


@struct
class C:
    a: u16
    b: u64
    c: u8


@struct
class D:
    flag: bool
    inner: B
    arr: Array[u16, 3]
    p: Ptr[u32]
    tail: u8


@struct
class E:
    c: C
    bytes_: Array[u8, 5]
    d: D


store = ArrayMap(value=C, max_entries=2)


def write_fields(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(16):
        return XdpAction.ABORTED
    key: u32 = 1
    v = store.lookup(key)
    if v is None:
        return XdpAction.ABORTED
    v.a = pkt.be16(0)
    v.b = pkt.be64(2)
    v.c = pkt.u8(10) + v.c
    return XdpAction.PASS


def read_fields(p: Ptr[C]) -> u64:
    return u64(p.a) + p.b + u64(p.c)
