"""The packet view: bounds checks gate every access, loads and stores in both byte orders."""

from __future__ import annotations

import pytest

from chamelio.lang import LangTypeError, Packet, XdpCtx, i32, struct, u8, u16, u32, u64
from chamelio.lang import types as lt


@struct
class Udp:
    sport: u16
    dport: u16
    length: u16
    csum: u16


def pkt(data: bytes) -> Packet:
    return XdpCtx.from_packet(data).packet()


def test_has_covers_a_prefix() -> None:
    p = pkt(bytes(range(20)))
    with pytest.raises(LangTypeError) as e:
        p.u8(0)
    assert "bytes 0..0 is not covered" in e.value.message
    assert "pkt.has(1)" in (e.value.hint or "")
    assert not p.has(21)
    with pytest.raises(LangTypeError):
        p.u8(0)  # a failed check covers nothing
    assert p.has(14)
    assert p.u8(13) == u8(13) and type(p.u8(13)) is u8
    with pytest.raises(LangTypeError, match=r"bytes 13\.\.14 is not covered") as e:
        p.be16(13)
    assert "pkt.has(15)" in (e.value.hint or "")
    assert p.has(u32(20)) and p.be16(18) == u16(0x1213)
    assert p.len() == u32(20) and type(p.len()) is u32


def test_has_at_covers_a_dynamic_range() -> None:
    p = pkt(bytes(range(64)))
    off = u32(30)
    assert not p.has_at(off, 40)
    assert not p.has_at(-1, 2)
    with pytest.raises(LangTypeError, match=r"bytes 30\.\.33"):
        p.be32(off)
    assert p.has_at(off, 4)
    assert p.be32(off) == u32(0x1E1F2021)
    with pytest.raises(LangTypeError):
        p.be32(off + 1)  # one byte past the checked range


def test_loads_and_stores_both_orders() -> None:
    p = pkt(bytes(16))
    assert p.has(16)
    p.store_be16(0, 0x1234)
    p.store_le16(2, u16(0x1234))
    p.store_be32(4, 0xA1B2C3D4)
    p.store_be64(8, u64(0x0102030405060708))
    assert p.to_bytes() == bytes.fromhex("1234 3412 a1b2c3d4 0102030405060708".replace(" ", ""))
    assert p.be16(0) == p.le16(2) == u16(0x1234)
    assert p.le32(4) == u32(0xD4C3B2A1) and p.be64(8) == u64(0x0102030405060708)
    assert p.le64(8) == u64(0x0807060504030201) and type(p.le64(8)) is u64
    p.store_le32(4, 1)
    p.store_le64(8, 2)
    p.store_u8(0, 255)
    assert p.u8(4) == 1 and p.u8(8) == 2 and p.u8(0) == 255
    with pytest.raises(LangTypeError, match="cannot assign u32"):
        p.store_be16(0, u32(1))
    with pytest.raises(LangTypeError, match="does not fit in u16"):
        p.store_be16(0, 0x10000)
    with pytest.raises(LangTypeError, match="cannot assign i32"):
        p.store_be32(0, i32(-1))
    with pytest.raises(LangTypeError, match="integer"):
        p.u8("0")


def test_view_and_ptr() -> None:
    data = bytearray(64)
    ctx = XdpCtx.from_packet(data)
    p = ctx.packet()
    with pytest.raises(LangTypeError, match="view as Udp"):
        p.view(Udp, 34)
    assert p.has(42)
    udp = p.view(Udp, 34)
    udp.dport = 0x3500  # host order in the struct; the wire sees 00 35
    assert ctx.packet_bytes()[36:38] == b"\x00\x35"
    assert lt.type_of_annotation(Udp) == udp.target
    q = p.ptr(40)
    assert q[1] == 0
    with pytest.raises(Exception, match="outside"):
        q[2]  # the check covered up to byte 41


def test_views_are_fresh_and_the_data_is_copied() -> None:
    data = bytes(8)
    ctx = XdpCtx.from_packet(data)
    p = ctx.packet()
    assert p.has(8)
    p.store_u8(0, 1)
    assert ctx.packet_bytes()[0] == 1 and data[0] == 0
    with pytest.raises(LangTypeError):
        ctx.packet().u8(0)  # every ctx.packet() starts without checks
