"""XDP packet counter: packets per EtherType, and IPv4 packets per IP protocol.

Every frame is passed on (``XDP_PASS``); the handler only counts:

- ``by_ethertype`` (hash map, ``u16`` EtherType -> ``u64`` packets): one count per frame that
  has a full Ethernet header (14 bytes); shorter frames are not counted. The EtherType is the
  one in bytes 12..13 (a VLAN tag counts as 0x8100). When 64 different EtherTypes are known,
  new ones are not counted (the map is full).
- ``by_ip_proto`` (array map, index = IP protocol number 0..255 -> ``u64`` packets): one count
  per IPv4 frame (EtherType 0x0800) with at least the 20 bytes of a minimal IPv4 header after
  the Ethernet header; the protocol is byte 9 of the IPv4 header. Nothing else in the IPv4
  header is checked.

Run it as Python::

    ctx = XdpCtx.from_packet(frame)
    assert count_packets(ctx) == XdpAction.PASS
    by_ethertype.get(u16(0x0800))      # -> u64(1)

or compile it: ``chamelio compile examples/xdp_counter.py --hook xdp -o counter.o``.
"""

from chamelio.lang import BPF_NOEXIST, ArrayMap, HashMap, XdpAction, XdpCtx, u16, u32, u64

by_ethertype = HashMap(key=u16, value=u64, max_entries=64)
by_ip_proto = ArrayMap(value=u64, max_entries=256)

ETH_HLEN = 14
ETH_P_IP = 0x0800
IPV4_MIN_HLEN = 20
PASS = u32(XdpAction.PASS)


def count_packets(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(ETH_HLEN):
        return PASS
    ethertype = pkt.be16(12)
    seen = by_ethertype.lookup(ethertype)
    if seen is not None:
        seen[0] += 1
    else:
        by_ethertype.update(ethertype, u64(1), BPF_NOEXIST)
    if ethertype != ETH_P_IP or not pkt.has(ETH_HLEN + IPV4_MIN_HLEN):
        return PASS
    proto = u32(pkt.u8(ETH_HLEN + 9))
    per_proto = by_ip_proto.lookup(proto)
    if per_proto is not None:
        per_proto[0] += 1
    return PASS
