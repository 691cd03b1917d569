"""TCP flags classifier: count TCP segments per kind of flag combination, drop invalid ones.

For TCP over IPv4 (EtherType 0x0800, protocol 6, first fragment, IPv4 options allowed) with a
full 20-byte TCP header in the frame, the handler reads the flags byte through ``@struct``
views of the IPv4 and TCP headers and adds one to ``per_class[class]`` (array map of ``u64``):

- ``SYN`` (0): SYN without ACK;  ``SYN_ACK`` (1): SYN with ACK;
- ``FIN`` (2): FIN (no SYN, no RST);  ``RST`` (3): RST (no SYN);
- ``OTHER`` (4): any other valid combination (ACK, PSH+ACK, URG+ACK ...);
- ``INVALID`` (5): combinations no real stack sends: SYN with FIN or RST, no flag at all
  (a "null scan"), or FIN+PSH+URG without ACK (an "Xmas scan"). Only the six classic flag
  bits are looked at (ECE and CWR are ignored).

``INVALID`` segments are dropped (``XDP_DROP``); every other frame passes (``XDP_PASS``),
uncounted when it is not TCP over IPv4, is a later fragment, has an IHL below 5, or is too
short for the headers.
"""

from chamelio.lang import ArrayMap, XdpAction, XdpCtx, struct, u8, u16, u32, u64

per_class = ArrayMap(value=u64, max_entries=6)

SYN = u32(0)
SYN_ACK = u32(1)
FIN = u32(2)
RST = u32(3)
OTHER = u32(4)
INVALID = u32(5)

TH_FIN, TH_SYN, TH_RST, TH_PSH, TH_ACK, TH_URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
TH_XMAS = TH_FIN | TH_PSH | TH_URG
ETH_HLEN = 14
ETH_P_IP = 0x0800
IPPROTO_TCP = 6
PASS = u32(XdpAction.PASS)
DROP = u32(XdpAction.DROP)


@struct
class IPv4Header:
    ver_ihl: u8
    tos: u8
    total_len: u16  # multi-byte fields hold network-order bytes as stored
    ident: u16
    frag: u16
    ttl: u8
    proto: u8
    csum: u16
    saddr: u32
    daddr: u32


@struct
class TcpHeader:
    sport: u16
    dport: u16
    seq: u32
    ack_seq: u32
    data_off: u8
    flags: u8
    window: u16
    csum: u16
    urg_ptr: u16


def classify(flags: u8) -> u32:
    """The class of a TCP flags byte."""
    syn = flags & TH_SYN != 0
    ack = flags & TH_ACK != 0
    if flags & 0x3F == 0:
        return INVALID
    if syn and flags & (TH_FIN | TH_RST) != 0:
        return INVALID
    if not ack and flags & TH_XMAS == TH_XMAS:
        return INVALID
    if syn:
        return SYN_ACK if ack else SYN
    if flags & TH_RST != 0:
        return RST
    if flags & TH_FIN != 0:
        return FIN
    return OTHER


def classify_tcp(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(ETH_HLEN + 20) or pkt.be16(12) != ETH_P_IP:
        return PASS
    ip = pkt.view(IPv4Header, ETH_HLEN)
    ihl = ip.ver_ihl & 0x0F
    if ihl < 5 or ip.proto != IPPROTO_TCP:
        return PASS
    if pkt.be16(ETH_HLEN + 6) & 0x1FFF != 0:
        return PASS  # a later fragment
    l4 = ETH_HLEN + u32(ihl) * 4
    if not pkt.has_at(l4, 20):
        return PASS
    tcp = pkt.view(TcpHeader, l4)
    kind = classify(tcp.flags)
    slot = per_class.lookup(kind)
    if slot is not None:
        slot[0] += 1
    if kind == INVALID:
        return DROP
    return PASS
