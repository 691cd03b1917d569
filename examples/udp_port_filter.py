"""UDP port filter: drop UDP datagrams sent to a blocked port, pass everything else.

The blocked ports are the keys of ``blocked_ports`` (hash map, ``u16`` port in host order ->
``u8``, any value) plus one port fixed in the code, ``ALWAYS_BLOCKED`` (19, chargen). The
control plane fills the map (``blocked_ports.update(u16(53), u8(1))`` in Python, or
``bpftool map update`` on a loaded program).

Verdicts:

- UDP over IPv4 (EtherType 0x0800, protocol 17), IPv4 options allowed (the UDP header is found
  from the IHL field), in the first fragment (fragment offset 0): ``XDP_DROP`` when the
  destination port is blocked, ``XDP_PASS`` otherwise;
- UDP over IPv6 (EtherType 0x86DD, next header 17; extension headers are not followed): the
  same;
- everything else passes, including frames too short to hold the headers the decision needs,
  IPv4 headers with an IHL below 5, and later IPv4 fragments (they carry no UDP header).

``drops`` (array map, one ``u64`` slot) counts the datagrams dropped.
"""

from chamelio.lang import ArrayMap, HashMap, XdpAction, XdpCtx, u8, u16, u32, u64

blocked_ports = HashMap(key=u16, value=u8, max_entries=1024)
drops = ArrayMap(value=u64, max_entries=1)

ALWAYS_BLOCKED = 19
ETH_HLEN = 14
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
IPPROTO_UDP = 17
IPV6_HLEN = 40
PASS = u32(XdpAction.PASS)
DROP = u32(XdpAction.DROP)


def blocked(port: u16) -> bool:
    """Whether datagrams to ``port`` are dropped."""
    if port == ALWAYS_BLOCKED:
        return True
    return blocked_ports.lookup(port) is not None


def filter_udp(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(ETH_HLEN):
        return PASS
    ethertype = pkt.be16(12)
    l4 = u32(0)
    if ethertype == ETH_P_IP:
        if not pkt.has(ETH_HLEN + 20):
            return PASS
        ihl = pkt.u8(ETH_HLEN) & 0x0F
        if ihl < 5 or pkt.u8(ETH_HLEN + 9) != IPPROTO_UDP:
            return PASS
        if pkt.be16(ETH_HLEN + 6) & 0x1FFF != 0:
            return PASS  # not the first fragment: no UDP header here
        l4 = ETH_HLEN + u32(ihl) * 4
    elif ethertype == ETH_P_IPV6:
        if not pkt.has(ETH_HLEN + IPV6_HLEN) or pkt.u8(ETH_HLEN + 6) != IPPROTO_UDP:
            return PASS
        l4 = u32(ETH_HLEN + IPV6_HLEN)
    else:
        return PASS
    if not pkt.has_at(l4, 4):
        return PASS
    if not blocked(pkt.be16(l4 + 2)):
        return PASS
    slot = drops.lookup(u32(0))
    if slot is not None:
        slot[0] += 1
    return DROP
