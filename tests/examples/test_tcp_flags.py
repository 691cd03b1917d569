"""examples/tcp_flags.py as plain Python: what its docstring promises."""

from __future__ import annotations

import pytest

from chamelio.lang import XdpAction, XdpCtx, u8

from . import packets as P
from .corpora import truncations
from .harness import load_example

DROP, PASS = XdpAction.DROP, XdpAction.PASS
SYN, SYN_ACK, FIN, RST, OTHER, INVALID = range(6)
F, S, R, PSH, A, U = P.TCP_FIN, P.TCP_SYN, P.TCP_RST, P.TCP_PSH, P.TCP_ACK, P.TCP_URG


@pytest.fixture
def ex():
    return load_example("tcp_flags")


def run(ex, frame: bytes) -> int:
    ctx = XdpCtx.from_packet(frame)
    verdict = ex.classify_tcp(ctx)
    assert ctx.packet_bytes() == frame
    return int(verdict)


def counts(ex) -> list[int]:
    return [int(v) for _, v in ex.per_class.items()]


def expected_class(flags: int) -> int:
    """The docstring's rules, written independently of the example."""
    f = flags & 0x3F
    if f == 0 or (f & S and f & (F | R)) or (not f & A and f & (F | PSH | U) == F | PSH | U):
        return INVALID
    if f & S:
        return SYN_ACK if f & A else SYN
    if f & R:
        return RST
    if f & F:
        return FIN
    return OTHER


@pytest.mark.parametrize("flags,cls", [
    (S, SYN), (S | A, SYN_ACK), (S | 0x40, SYN), (F, FIN), (F | A, FIN), (F | PSH | A, FIN),
    (R, RST), (R | A, RST), (F | R, RST), (A, OTHER), (PSH | A, OTHER), (U | A, OTHER),
    (S | F, INVALID), (S | R, INVALID), (S | F | A, INVALID), (0, INVALID), (0xC0, INVALID),
    (F | PSH | U, INVALID), (F | PSH | U | A, FIN),
])
def test_classes(ex, flags, cls):
    assert int(ex.classify(u8(flags))) == cls
    assert run(ex, P.tcp4(flags)) == (DROP if cls == INVALID else PASS)
    want = [0] * 6
    want[cls] = 1
    assert counts(ex) == want


def test_every_flags_byte_is_classified_as_documented(ex):
    for flags in range(256):
        assert run(ex, P.tcp4(flags)) == (DROP if expected_class(flags) == INVALID else PASS)
    want = [0] * 6
    for flags in range(256):
        want[expected_class(flags)] += 1
    assert counts(ex) == want


def test_the_tcp_header_is_found_after_ipv4_options(ex):
    assert run(ex, P.tcp4(S | F, options=P.RR_OPTION)) == DROP
    assert run(ex, P.tcp4(S, options=bytes(40))) == PASS
    assert counts(ex) == [1, 0, 0, 0, 0, 1]


def test_non_tcp_later_fragments_and_bad_ihl_pass_uncounted(ex):
    frames = [P.udp4(53), P.arp(), P.udp6(53), P.ipv4_frame(P.IPPROTO_ICMP, bytes(20)),
              P.tcp4(S | F, frag=0x0001), P.tcp4(0, ihl=4), P.tcp4(0, ihl=0),
              P.ethernet(P.ETH_VLAN, P.ipv4_header(P.IPPROTO_TCP, 20) + P.tcp(1, 2, 0))]
    for frame in frames:
        assert run(ex, frame) == PASS
    assert counts(ex) == [0] * 6
    assert run(ex, P.tcp4(S | F, frag=0x2000)) == DROP  # first fragment: classified


@pytest.mark.parametrize("options", [b"", P.RR_OPTION], ids=["plain", "ip-options"])
def test_truncated_frames_pass_until_the_tcp_header_is_whole(ex, options):
    frame = P.tcp4(S | R, options=options)
    whole = 14 + (frame[14] & 0x0F) * 4 + 20
    assert whole == len(frame)
    for cut in truncations(frame):
        assert run(ex, cut) == (DROP if len(cut) == whole else PASS), len(cut)
    assert counts(ex) == [0, 0, 0, 0, 0, 1]
