"""examples/udp_port_filter.py as plain Python: what its docstring promises."""

from __future__ import annotations

import pytest

from chamelio.lang import XdpAction, XdpCtx, u8, u16, u32

from . import packets as P
from .corpora import truncations
from .harness import load_example

DROP, PASS = XdpAction.DROP, XdpAction.PASS


@pytest.fixture
def ex():
    module = load_example("udp_port_filter")
    module.blocked_ports.update(u16(53), u8(1))
    module.blocked_ports.update(u16(0xFFFF), u8(0))  # any value blocks
    return module


def run(ex, frame: bytes) -> int:
    ctx = XdpCtx.from_packet(frame)
    verdict = ex.filter_udp(ctx)
    assert ctx.packet_bytes() == frame
    return int(verdict)


def drops(ex) -> int:
    return int(ex.drops.get(u32(0)))


@pytest.mark.parametrize("port", [53, 19, 0xFFFF])
def test_blocked_ports_are_dropped_over_ipv4_and_ipv6(ex, port):
    assert run(ex, P.udp4(port)) == DROP
    assert run(ex, P.udp6(port)) == DROP
    assert run(ex, P.udp4(port, options=P.RR_OPTION)) == DROP  # found through the IHL
    assert run(ex, P.udp4(port, options=bytes(40))) == DROP  # IHL 15
    assert drops(ex) == 4


@pytest.mark.parametrize("port", [0, 18, 20, 52, 54, 80, 0xFFFE])
def test_other_ports_pass(ex, port):
    assert run(ex, P.udp4(port)) == PASS
    assert run(ex, P.udp6(port)) == PASS
    assert drops(ex) == 0


def test_the_map_is_read_at_every_packet(ex):
    assert run(ex, P.udp4(123)) == PASS
    ex.blocked_ports.update(u16(123), u8(1))
    assert run(ex, P.udp4(123)) == DROP
    ex.blocked_ports.delete(u16(53))
    assert run(ex, P.udp4(53)) == PASS


def test_the_source_port_does_not_matter(ex):
    assert run(ex, P.udp4(1000, sport=53)) == PASS
    assert run(ex, P.udp4(53, sport=1000)) == DROP


def test_non_udp_passes(ex):
    for frame in (P.tcp4(P.TCP_SYN, dport=53), P.ipv4_frame(P.IPPROTO_ICMP, P.udp(1, 53)),
                  P.arp(), P.ethernet(P.ETH_VLAN, P.ipv4_header(P.IPPROTO_UDP, 8) + P.udp(1, 53))):
        assert run(ex, frame) == PASS
    assert drops(ex) == 0


def test_later_fragments_pass_first_fragments_are_filtered(ex):
    assert run(ex, P.udp4(53, frag=0x0001)) == PASS  # offset 8: no UDP header in it
    assert run(ex, P.udp4(53, frag=0x1FFF)) == PASS
    assert run(ex, P.udp4(53, frag=0x2000)) == DROP  # more fragments, offset 0
    assert run(ex, P.udp4(53, frag=0x0000)) == DROP


def test_an_ihl_below_five_passes(ex):
    for ihl in range(5):
        assert run(ex, P.udp4(53, ihl=ihl)) == PASS


@pytest.mark.parametrize("frame,needed", [
    (P.udp4(53), 14 + 20 + 4),
    (P.udp4(53, options=P.RR_OPTION), 14 + 32 + 4),
    (P.udp6(53), 14 + 40 + 4),
])
def test_truncated_frames_pass_until_the_port_is_there(ex, frame, needed):
    for cut in truncations(frame):
        assert run(ex, cut) == (DROP if len(cut) >= needed else PASS), len(cut)
    assert drops(ex) == len(frame) - needed + 1
