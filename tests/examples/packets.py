"""Hand-built Ethernet frames (``struct`` only; no scapy) for the example handlers' tests."""

from __future__ import annotations

import struct

ETH_IPV4 = 0x0800
ETH_ARP = 0x0806
ETH_IPV6 = 0x86DD
ETH_VLAN = 0x8100

IPPROTO_ICMP = 1
IPPROTO_TCP = 6
IPPROTO_UDP = 17

TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK, TCP_URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20

DST_MAC = bytes.fromhex("020000000001")
SRC_MAC = bytes.fromhex("020000000002")


def ethernet(ethertype: int, payload: bytes = b"") -> bytes:
    return DST_MAC + SRC_MAC + struct.pack("!H", ethertype) + payload


def inet_checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of ``data``: the one's complement of the sum."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_header(proto: int, payload_len: int = 0, *, options: bytes = b"", ttl: int = 64,
                src: str = "10.0.0.1", dst: str = "10.0.0.2", frag: int = 0x4000,
                ihl: int | None = None, version: int = 4, csum: int | None = None) -> bytes:
    """An IPv4 header with a correct checksum unless ``csum`` is given; ``options`` are padded
    to a multiple of 4 bytes; ``ihl``/``version`` override the computed fields."""
    options = options + b"\0" * (-len(options) % 4)
    words = ihl if ihl is not None else 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", (version << 4) | (words & 0xF), 0,
                      20 + len(options) + payload_len, 0x1234, frag, ttl, proto, 0,
                      _addr(src), _addr(dst)) + options
    value = inet_checksum(hdr) if csum is None else csum
    return hdr[:10] + struct.pack("!H", value) + hdr[12:]


def _addr(text: str) -> bytes:
    return bytes(int(x) for x in text.split("."))


def ipv6_header(next_header: int, payload_len: int) -> bytes:
    return struct.pack("!IHBB16s16s", 6 << 28, payload_len, next_header, 64,
                       b"\x20\x01" + bytes(13) + b"\x01", b"\x20\x01" + bytes(13) + b"\x02")


def udp(sport: int, dport: int, payload: bytes = b"") -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport: int, dport: int, flags: int, payload: bytes = b"", *, seq: int = 1000,
        ack: int = 0, options: bytes = b"") -> bytes:
    options = options + b"\0" * (-len(options) % 4)
    doff = 5 + len(options) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags, 65535, 0,
                       0) + options + payload


def ipv4_frame(proto: int, l4: bytes = b"", **kw: object) -> bytes:
    return ethernet(ETH_IPV4, ipv4_header(proto, len(l4), **kw) + l4)  # type: ignore[arg-type]


def udp4(dport: int, sport: int = 40000, payload: bytes = b"hello", **kw: object) -> bytes:
    return ipv4_frame(IPPROTO_UDP, udp(sport, dport, payload), **kw)


def tcp4(flags: int, dport: int = 80, sport: int = 40000, payload: bytes = b"",
         **kw: object) -> bytes:
    return ipv4_frame(IPPROTO_TCP, tcp(sport, dport, flags, payload), **kw)


def udp6(dport: int, sport: int = 40000, payload: bytes = b"hello") -> bytes:
    l4 = udp(sport, dport, payload)
    return ethernet(ETH_IPV6, ipv6_header(IPPROTO_UDP, len(l4)) + l4)


def arp() -> bytes:
    return ethernet(ETH_ARP, struct.pack("!HHBBH", 1, ETH_IPV4, 6, 4, 1) + bytes(20))


# A record route option (type 7, length 11, pointer 4, two addresses) and an
# end-of-options byte: 12 bytes, so IHL 8.
RR_OPTION = bytes([7, 11, 4]) + bytes(8) + b"\x00"
