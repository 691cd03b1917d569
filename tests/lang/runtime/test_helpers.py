"""Helpers in plain Python: every ABI helper is callable, memory arguments are checked."""

from __future__ import annotations

import errno
from typing import Literal

import pytest

from chamelio import abi
from chamelio.lang import (
    Array,
    ArrayMap,
    HashMap,
    LangRuntimeError,
    LangTypeError,
    Ptr,
    RxCtx,
    TxCtx,
    XdpCtx,
    i64,
    u8,
    u32,
    u64,
)
from chamelio.lang import (
    helpers as h,
)
from chamelio.lang.runtime.helpers import HELPER_FUNCTIONS, PythonHelperEnv, using


def test_every_abi_helper_has_a_function() -> None:
    assert set(HELPER_FUNCTIONS) == set(abi.HELPERS_BY_NAME)
    for name, fn in HELPER_FUNCTIONS.items():
        assert getattr(h, name) is fn
        assert fn.__lang_helper__ is abi.HELPERS_BY_NAME[name]


def test_time_random_cpu() -> None:
    with using(PythonHelperEnv(clock=lambda: 2**64 + 5, seed=1)):
        assert h.ktime_get_ns() == u64(5) and type(h.ktime_get_ns()) is u64
        a = h.get_prandom_u32()
        assert type(a) is u32
    with using(PythonHelperEnv(seed=1)):
        assert h.get_prandom_u32() == a
    assert h.get_smp_processor_id() == u32(0)


def test_map_helpers_match_the_map_methods() -> None:
    m = HashMap(key=u32, value=u64, max_entries=1)
    assert h.map_lookup_elem(m, 1) is None
    assert h.map_update_elem(m, 1, u64(7), 0) == i64(0)
    assert h.map_update_elem(m, 2, u64(7), 0) == i64(-errno.E2BIG)
    assert type(h.map_update_elem(m, 1, u64(7), 1)) is i64
    p = h.map_lookup_elem(m, u32(1))
    assert isinstance(p, Ptr) and p[0] == u64(7)
    p[0] += 1
    assert m.get(1) == u64(8)
    assert h.map_delete_elem(m, 1) == 0 and h.map_delete_elem(m, 1) == -errno.ENOENT
    a = ArrayMap(value=Array[u8, Literal[4]], max_entries=2)
    assert h.map_delete_elem(a, 0) == -errno.EINVAL
    with pytest.raises(LangTypeError, match="must be a map"):
        h.map_lookup_elem(42, 0)  # type: ignore[arg-type]
    with pytest.raises(LangTypeError, match="takes 2 arguments"):
        h.call(abi.HELPERS_BY_NAME["map_lookup_elem"], m)


def _fold(s: int) -> int:
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def _ip_csum(hdr: bytes | bytearray) -> int:
    total = sum(int.from_bytes(hdr[i:i + 2], "big") for i in range(0, len(hdr), 2))
    return ~_fold(total) & 0xFFFF


def test_csum_diff_updates_an_ipv4_checksum() -> None:
    hdr = bytearray.fromhex("450000540000400040010000c0a80001c0a800c7")
    hdr[10:12] = _ip_csum(hdr).to_bytes(2, "big")
    ctx = XdpCtx.from_packet(hdr)
    pkt = ctx.packet()
    assert pkt.has(20)
    old = Array[u8, Literal[4]]()
    new = Array[u8, Literal[4]]()
    for i in range(4):
        old[i] = pkt.u8(8 + i)
    pkt.store_u8(8, 63)  # ttl 64 -> 63
    for i in range(4):
        new[i] = pkt.u8(8 + i)
    seed = ~pkt.le16(10)
    s = h.csum_diff(old, 4, new, 4, u32(seed))
    assert type(s) is i64 and s >= 0
    pkt.store_le16(10, ~_fold(int(s)) & 0xFFFF)
    out = ctx.packet_bytes()
    assert int.from_bytes(out[10:12], "big") == _ip_csum(out[:10] + b"\0\0" + out[12:])
    assert h.csum_diff(None, 0, new, 4, 0) == i64(_fold(int.from_bytes(new.to_bytes(), "little")))
    assert h.csum_diff(old, 3, new, 4, 0) == i64(-errno.EINVAL)


def test_memory_arguments_are_bounded() -> None:
    small = Array[u8, Literal[4]]()
    with pytest.raises(LangRuntimeError, match="reads 8 bytes at offset 0 of argument 1"):
        h.csum_diff(small, 8, small, 4, 0)
    with pytest.raises(LangTypeError, match="must point to memory"):
        h.csum_diff(5, 4, small, 4, 0)
    ctx = RxCtx.from_packet(bytes(range(40)), rx_avail=10)
    pkt = ctx.packet()
    assert pkt.has(30)
    with pytest.raises(LangRuntimeError, match="rx_deliver: reads 20 bytes"):
        h.rx_deliver(ctx, pkt.ptr(20), 20)  # only 10 bytes checked from 20


def test_flow_io_helpers_record_their_effects() -> None:
    ctx = RxCtx.from_packet(bytes(range(40)), rx_avail=6)
    pkt = ctx.packet()
    assert pkt.has(40)
    assert h.rx_deliver(ctx, pkt.ptr(30), 10) == i64(6)  # only 6 bytes free
    assert bytes(ctx.delivered) == bytes(range(30, 36)) and ctx.rx_avail == 0
    assert h.emit(ctx, pkt.ptr(0), 14) == 0 and ctx.emitted == [bytes(range(14))]
    assert h.notify_app(ctx, 3) == 0 and ctx.events == [3]
    tx = TxCtx.from_packet(bytes(20), tx_data=b"hello world")
    tp = tx.packet()
    assert tp.has(20)
    assert h.tx_fill(tx, tp.ptr(10), 5, 6) == i64(5)
    assert tx.packet_bytes()[10:15] == b"world"
    assert h.rearm_tx(tx) == 0 and tx.tx_rearms == 1
    with pytest.raises(LangTypeError, match="must be the context"):
        h.rearm_tx(None)  # type: ignore[arg-type]
