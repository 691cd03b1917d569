"""Packets for the differential tests (not a test module)."""

from __future__ import annotations

import random
import struct


def eth(ethertype: int, payload: bytes) -> bytes:
    return bytes(6) + bytes([2, 0, 0, 0, 0, 1]) + struct.pack("!H", ethertype) + payload


def ipv4(proto: int, l4: bytes, ttl: int = 64, ihl: int = 5, src: int = 0x0A000001,
         dst: int = 0x0A000002) -> bytes:
    opts = bytes(4 * (ihl - 5))
    total = 20 + len(opts) + len(l4)
    hdr = struct.pack("!BBHHHBBHII", 0x40 | ihl, 0, total, 1, 0, ttl, proto, 0, src, dst)
    return eth(0x0800, hdr + opts + l4)


def ports(sport: int, dport: int, rest: bytes = b"") -> bytes:
    return struct.pack("!HH", sport, dport) + rest


def corpus(seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    out = [
        ipv4(6, ports(1234, 80, bytes(16))),
        ipv4(17, ports(53, 7, bytes(8))),
        ipv4(17, ports(53, 7, bytes(8))),
        ipv4(6, ports(1, 2), ttl=0),
        ipv4(6, ports(1000, 7), ihl=7),
        ipv4(6, ports(1000, 7, bytes(30)), ihl=15),
        ipv4(1, b"\x08\x00" + bytes(6)),
        ipv4(6, b"", ihl=5),  # no room for ports
        eth(0x86DD, bytes(40)),
        bytes(14),
        bytes(range(60)),
        bytes(34),
    ]
    for _ in range(12):
        out.append(bytes(rng.randrange(256) for _ in range(rng.randrange(14, 90))))
    for _ in range(8):
        out.append(ipv4(rng.choice([6, 17]), ports(rng.randrange(65536), rng.randrange(10),
                                                   bytes(rng.randrange(0, 20))),
                        ttl=rng.randrange(3), ihl=rng.randrange(5, 8)))
    return out
