"""For each example: its handler, how its maps start, and the packets every execution runs.

The kernel tests run these same packets through plain Python and through the compiled object
in the kernel, and compare verdicts, output packets and maps.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass

from chamelio.lang import u8, u16

from . import packets as P


@dataclass(frozen=True)
class Example:
    name: str  # examples/<name>.py
    handler: str
    packets: Callable[[], list[bytes]]
    seed: Callable[[types.ModuleType], None] = lambda module: None


def truncations(frame: bytes, shortest: int = 0) -> list[bytes]:
    """``frame`` cut at every length from ``shortest`` to its full size."""
    return [frame[:n] for n in range(shortest, len(frame) + 1)]


def _counter_packets() -> list[bytes]:
    frames = [P.udp4(53), P.tcp4(P.TCP_SYN), P.ipv4_frame(P.IPPROTO_ICMP, bytes(8)), P.arp(),
              P.udp6(53), P.ethernet(P.ETH_VLAN, bytes(30)), P.ipv4_frame(200, b"x"),
              P.udp4(53, options=P.RR_OPTION)]
    return frames + truncations(P.tcp4(P.TCP_ACK), 14) + [P.ethernet(0x9000 + i) for i in range(70)]


def _udp_seed(module: types.ModuleType) -> None:
    for port in (53, 123, 0xFFFF):
        module.blocked_ports.update(u16(port), u8(1))


def _udp_packets() -> list[bytes]:
    out = []
    for port in (53, 54, 19, 123, 0xFFFF, 0, 80):
        out += [P.udp4(port), P.udp6(port), P.udp4(port, options=P.RR_OPTION),
                P.tcp4(P.TCP_SYN, dport=port)]
    out += [P.udp4(53, frag=0x2000), P.udp4(53, frag=0x0010), P.udp4(53, ihl=4), P.arp(),
            P.udp4(53, options=bytes(40))]
    out += truncations(P.udp4(53, options=P.RR_OPTION), 14)
    out += truncations(P.udp6(53), 14)
    return out


def _csum_packets() -> list[bytes]:
    good = P.udp4(53)
    opts = P.udp4(53, options=P.RR_OPTION)
    full = P.udp4(53, options=bytes([1] * 39 + [0]))  # IHL 15: 60-byte header
    out = [good, opts, full, P.arp(), P.udp6(53), P.tcp4(P.TCP_SYN)]
    out += [P.udp4(53, csum=c) for c in (0, 0xFFFF, 0x1234)]
    out += [P.udp4(53, options=P.RR_OPTION, csum=0), P.udp4(53, ihl=4), P.udp4(53, version=6),
            P.udp4(53, ihl=15)]  # IHL 15 with only 20 header bytes + 13 more: truncated
    for frame in (opts, full):
        flipped = bytearray(frame)
        flipped[14 + 21] ^= 0x40  # a bit inside the options
        out.append(bytes(flipped))
    out += truncations(opts, 14) + truncations(full, 14)
    return out


def _tcp_packets() -> list[bytes]:
    F = P
    combos = [F.TCP_SYN, F.TCP_SYN | F.TCP_ACK, F.TCP_FIN | F.TCP_ACK, F.TCP_FIN, F.TCP_RST,
              F.TCP_RST | F.TCP_ACK, F.TCP_ACK, F.TCP_PSH | F.TCP_ACK, F.TCP_SYN | F.TCP_FIN,
              F.TCP_SYN | F.TCP_RST, 0, F.TCP_FIN | F.TCP_PSH | F.TCP_URG,
              F.TCP_FIN | F.TCP_PSH | F.TCP_URG | F.TCP_ACK, 0xC0, 0xC2, F.TCP_FIN | F.TCP_RST]
    out = [F.tcp4(c) for c in combos]
    out += [F.tcp4(c, options=F.RR_OPTION) for c in combos[:4]]
    out += [F.tcp4(F.TCP_SYN | F.TCP_FIN, frag=0x0020), F.tcp4(0, ihl=3), F.udp4(53), F.arp(),
            F.tcp4(F.TCP_SYN, payload=b"data")]
    out += truncations(F.tcp4(0, options=F.RR_OPTION), 14)
    return out


EXAMPLES = [
    Example("xdp_counter", "count_packets", _counter_packets),
    Example("udp_port_filter", "filter_udp", _udp_packets, _udp_seed),
    Example("ipv4_checksum", "check_ipv4", _csum_packets),
    Example("tcp_flags", "classify_tcp", _tcp_packets),
]
BY_NAME = {e.name: e for e in EXAMPLES}
