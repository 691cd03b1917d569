"""IPv4 header checksum validator: drop IPv4 packets whose header checksum is wrong.

For a frame with EtherType 0x0800 the handler reads the IPv4 header, options included (its
length is IHL * 4 bytes, 20 to 60), sums it as 16-bit big-endian words in one's complement
arithmetic, one word per iteration of a bounded loop, and accepts the header when the folded
sum is 0xFFFF (RFC 1071: the checksum field makes the whole header sum to all ones).

Verdicts, and the slot of ``stats`` (array map of ``u64`` counters) each one counts in:

- ``NOT_IPV4`` (0): the frame has no full Ethernet header, or another EtherType: ``XDP_PASS``;
- ``VALID`` (1): the checksum is right: ``XDP_PASS``;
- ``BAD_CHECKSUM`` (2): the checksum is wrong: ``XDP_DROP``;
- ``MALFORMED`` (3): EtherType 0x0800 but the header is unusable: shorter than 20 bytes, a
  version other than 4, an IHL below 5, or fewer bytes in the frame than IHL says:
  ``XDP_DROP``.

Only the header is checked (not the total length field, not the payload).
"""

from chamelio.lang import ArrayMap, XdpAction, XdpCtx, u32, u64

stats = ArrayMap(value=u64, max_entries=4)

NOT_IPV4 = 0
VALID = 1
BAD_CHECKSUM = 2
MALFORMED = 3

ETH_HLEN = 14
ETH_P_IP = 0x0800
MAX_HEADER_WORDS = 30  # 60 bytes: IHL is at most 15
PASS = u32(XdpAction.PASS)
DROP = u32(XdpAction.DROP)


def count(slot: u32) -> None:
    """Add one to ``stats[slot]``."""
    v = stats.lookup(slot)
    if v is not None:
        v[0] += 1


def check_ipv4(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(ETH_HLEN) or pkt.be16(12) != ETH_P_IP:
        count(u32(NOT_IPV4))
        return PASS
    if not pkt.has(ETH_HLEN + 20):
        count(u32(MALFORMED))
        return DROP
    ver_ihl = pkt.u8(ETH_HLEN)
    words = u32(ver_ihl & 0x0F) * 2  # 16-bit words in the header
    if ver_ihl >> 4 != 4 or words < 10:
        count(u32(MALFORMED))
        return DROP
    total = u32(0)
    for i in range(MAX_HEADER_WORDS):
        if i >= words:
            break
        off = ETH_HLEN + i * 2
        if not pkt.has_at(off, 2):
            count(u32(MALFORMED))  # the frame ends inside the header
            return DROP
        total += u32(pkt.be16(off))
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    if total != 0xFFFF:
        count(u32(BAD_CHECKSUM))
        return DROP
    count(u32(VALID))
    return PASS
