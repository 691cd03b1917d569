"""examples/xdp_counter.py as plain Python: what its docstring promises."""

from __future__ import annotations

import pytest

from chamelio.lang import XdpAction, XdpCtx, u16, u32, u64

from . import packets as P
from .corpora import truncations
from .harness import load_example


@pytest.fixture
def ex():
    return load_example("xdp_counter")


def run(ex, frame: bytes) -> int:
    ctx = XdpCtx.from_packet(frame)
    verdict = ex.count_packets(ctx)
    assert ctx.packet_bytes() == frame  # the counter never rewrites a packet
    return int(verdict)


def by_proto(ex) -> dict[int, int]:
    return {int(k): int(v) for k, v in ex.by_ip_proto.items() if v}


def test_counts_per_ethertype_and_per_ip_protocol(ex):
    frames = [P.udp4(53), P.udp4(9), P.tcp4(P.TCP_SYN), P.ipv4_frame(P.IPPROTO_ICMP, bytes(8)),
              P.arp(), P.udp6(53), P.ethernet(P.ETH_VLAN, bytes(40)),
              P.udp4(53, options=P.RR_OPTION)]
    assert all(run(ex, f) == XdpAction.PASS for f in frames)
    assert dict(ex.by_ethertype.items()) == {
        u16(P.ETH_IPV4): u64(5), u16(P.ETH_ARP): u64(1), u16(P.ETH_IPV6): u64(1),
        u16(P.ETH_VLAN): u64(1)}
    # IPv6 and VLAN-tagged frames are not IPv4: only the five IPv4 frames count per protocol
    assert by_proto(ex) == {P.IPPROTO_UDP: 3, P.IPPROTO_TCP: 1, P.IPPROTO_ICMP: 1}


def test_every_protocol_number_has_its_slot(ex):
    for proto in range(256):
        run(ex, P.ipv4_frame(proto))
    assert by_proto(ex) == {p: 1 for p in range(256)}
    assert ex.by_ethertype.get(u16(P.ETH_IPV4)) == u64(256)


def test_truncated_frames_count_only_the_headers_they_hold(ex):
    frame = P.tcp4(P.TCP_ACK)
    for cut in truncations(frame):
        assert run(ex, cut) == XdpAction.PASS
    # lengths 14 .. len(frame) have an EtherType; 34 .. len(frame) an IPv4 protocol too
    assert ex.by_ethertype.get(u16(P.ETH_IPV4)) == u64(len(frame) - 14 + 1)
    assert by_proto(ex) == {P.IPPROTO_TCP: len(frame) - 34 + 1}


def test_runts_are_not_counted(ex):
    for n in range(14):
        assert run(ex, bytes(range(n))) == XdpAction.PASS
    assert ex.by_ethertype.items() == []
    assert by_proto(ex) == {}


def test_a_full_ethertype_map_stops_counting_new_types(ex):
    for i in range(70):
        run(ex, P.ethernet(0x9000 + i))
    run(ex, P.ethernet(0x9000))  # a known type still counts
    counted = dict(ex.by_ethertype.items())
    assert len(counted) == 64
    assert set(counted) == {u16(0x9000 + i) for i in range(64)}
    assert counted[u16(0x9000)] == u64(2)
    assert ex.by_ip_proto.get(u32(0)) == u64(0)
