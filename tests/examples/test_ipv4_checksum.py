"""examples/ipv4_checksum.py as plain Python: what its docstring promises."""

from __future__ import annotations

import struct

import pytest

from chamelio.lang import XdpAction, XdpCtx

from . import packets as P
from .corpora import truncations
from .harness import load_example

DROP, PASS = XdpAction.DROP, XdpAction.PASS
NOT_IPV4, VALID, BAD, MALFORMED = range(4)


@pytest.fixture
def ex():
    return load_example("ipv4_checksum")


def run(ex, frame: bytes) -> int:
    ctx = XdpCtx.from_packet(frame)
    verdict = ex.check_ipv4(ctx)
    assert ctx.packet_bytes() == frame
    return int(verdict)


def stats(ex) -> list[int]:
    return [int(v) for _, v in ex.stats.items()]


def with_csum(frame: bytes, csum: int) -> bytes:
    return frame[:24] + struct.pack("!H", csum) + frame[26:]


OPTION_SETS = [b"", P.RR_OPTION, b"\x01\x01\x01\x00", bytes([1] * 39 + [0])]


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: f"{len(o)}B-options")
def test_a_correct_checksum_passes(ex, options):
    frame = P.udp4(53, options=options)
    assert (frame[14] & 0x0F) * 4 == 20 + len(options) + (-len(options) % 4)
    assert run(ex, frame) == PASS
    assert stats(ex) == [0, 1, 0, 0]


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: f"{len(o)}B-options")
def test_every_wrong_checksum_is_dropped(ex, options):
    frame = P.udp4(53, options=options)
    right = struct.unpack("!H", frame[24:26])[0]
    wrong = [c for c in (0, 1, 0xFFFF, right ^ 0x8000, (right + 1) & 0xFFFF) if c != right]
    for c in wrong:
        assert run(ex, with_csum(frame, c)) == DROP, hex(c)
    assert stats(ex) == [0, 0, len(wrong), 0]


def test_zero_and_minus_zero_are_the_same_checksum(ex):
    # A header whose checksum is 0 (a source address chosen to make it so): 0xFFFF, the other
    # zero of one's complement, must be accepted too.
    frame = next(f for x in range(256) for y in range(256)
                 if (f := P.udp4(53, src=f"10.0.{x}.{y}"))[24:26] == b"\0\0")
    assert run(ex, frame) == PASS
    assert run(ex, with_csum(frame, 0xFFFF)) == PASS
    assert run(ex, with_csum(frame, 1)) == DROP
    assert stats(ex) == [0, 2, 1, 0]


def test_a_flipped_bit_anywhere_in_the_header_is_caught(ex):
    frame = P.udp4(53, options=P.RR_OPTION)  # 32-byte header
    hlen = 32
    for byte in range(14, 14 + hlen):
        for bit in range(8):
            bad = bytearray(frame)
            bad[byte] ^= 1 << bit
            verdict = run(ex, bytes(bad))
            assert verdict == DROP, (byte, bit)
    counts = stats(ex)
    # flips in byte 0 (version, IHL) make the header malformed or change its length
    assert counts[VALID] == 0 and counts[BAD] + counts[MALFORMED] == hlen * 8


def test_the_payload_is_not_checked(ex):
    frame = bytearray(P.udp4(53, payload=b"payload"))
    frame[-1] ^= 0xFF
    assert run(ex, bytes(frame)) == PASS


def test_other_ethertypes_and_runts_are_not_ipv4(ex):
    for frame in (P.arp(), P.udp6(53), P.ethernet(P.ETH_VLAN, P.ipv4_header(17)), b"", bytes(13)):
        assert run(ex, frame) == PASS
    assert stats(ex) == [5, 0, 0, 0]


@pytest.mark.parametrize("frame", [P.udp4(53, ihl=i) for i in range(5)]
                         + [P.udp4(53, version=v) for v in (0, 5, 6, 15)])
def test_bad_version_or_ihl_is_malformed(ex, frame):
    assert run(ex, frame) == DROP
    assert stats(ex) == [0, 0, 0, 1]


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: f"{len(o)}B-options")
def test_a_header_cut_anywhere_is_malformed(ex, options):
    frame = P.udp4(53, options=options, payload=b"")
    hlen = (frame[14] & 0x0F) * 4
    for cut in truncations(frame, 14):
        expected = PASS if len(cut) >= 14 + hlen else DROP
        assert run(ex, cut) == expected, len(cut)
    # cuts at 14 .. 14+hlen-1 are malformed; the rest (header whole) are valid
    assert stats(ex) == [0, len(frame) - 14 - hlen + 1, 0, hlen]


def test_an_ihl_longer_than_the_frame_is_malformed(ex):
    assert run(ex, P.udp4(53, ihl=15, payload=b"")) == DROP  # 28 bytes where IHL says 60
    assert stats(ex) == [0, 0, 0, 1]
