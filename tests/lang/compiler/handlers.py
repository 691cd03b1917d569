"""Handlers the compiler tests run three ways: plain Python, native, and in the kernel."""

# mypy: ignore-errors
# (lang source: int literals take their operand's type, which mypy cannot express)

from __future__ import annotations

from chamelio.lang import (
    BPF_ANY,
    Array,
    ArrayMap,
    HashMap,
    Packet,
    Ptr,
    SkbCtx,
    XdpAction,
    XdpCtx,
    i32,
    struct,
    u8,
    u16,
    u32,
    u64,
)
from chamelio.lang import helpers as h

ETH_P_IP = 0x0800


@struct
class IPv4:
    ver_ihl: u8
    tos: u8
    total_len: u16
    ident: u16
    frag: u16
    ttl: u8
    proto: u8
    csum: u16
    saddr: u32
    daddr: u32


@struct
class FlowKey:
    saddr: u32
    daddr: u32
    sport: u16
    dport: u16
    proto: u8


@struct
class Stats:
    packets: u64
    bytes: u64
    last_len: u16
    seen: bool


flows = HashMap(key=FlowKey, value=Stats, max_entries=128)
by_proto = ArrayMap(value=u64, max_entries=256)


def ip_header_len(ver_ihl: u8) -> u32:
    return u32(ver_ihl & 0x0F) * 4


def l4_proto(ctx: XdpCtx) -> u32:
    """Counts packets per IP protocol; drops TTL 0; reads ports behind a variable IHL."""
    pkt = ctx.packet()
    if not pkt.has(34):
        return XdpAction.PASS
    if pkt.be16(12) != ETH_P_IP:
        return XdpAction.PASS
    ip = pkt.view(IPv4, 14)
    if ip.ttl == 0:
        return XdpAction.DROP
    proto = u32(ip.proto)
    slot = by_proto.lookup(proto)
    if slot is not None:
        slot[0] += 1
    off = 14 + ip_header_len(ip.ver_ihl)
    if not pkt.has_at(off, 4):
        return XdpAction.ABORTED
    key = FlowKey(saddr=ip.saddr, daddr=ip.daddr, proto=ip.proto)
    key.sport = pkt.be16(off)
    key.dport = pkt.be16(off + 2)
    st = flows.lookup(key)
    if st is None:
        fresh = Stats(packets=1, seen=True)
        fresh.bytes = u64(pkt.len())
        fresh.last_len = u16(pkt.len())
        flows.update(key, fresh, BPF_ANY)
    else:
        st.packets += 1
        st.bytes += u64(pkt.len())
        st.last_len = u16(pkt.len())
    return XdpAction.TX if key.dport == 7 else XdpAction.PASS


def checksum(ctx: XdpCtx) -> u32:
    """Sums the first 20 payload bytes as big-endian u16 words in a bounded while loop and
    writes the folded one's complement back into the packet."""
    pkt = ctx.packet()
    if not pkt.has(36):
        return XdpAction.ABORTED
    total: u32 = 0
    i: u32 = 0
    while i < 10:
        total += u32(pkt.be16(14 + 2 * i))
        i += 1
    for _ in range(2):
        if total <= 0xFFFF:
            break
        total = (total & 0xFFFF) + (total >> 16)
    pkt.store_be16(34, ~u16(total))
    return XdpAction.PASS


def arrays(ctx: XdpCtx) -> u32:
    """Histogram of the first 16 bytes' low nibbles in a local array, then its argmax."""
    pkt = ctx.packet()
    if not pkt.has(16):
        return XdpAction.ABORTED
    hist = Array[u8, 16]()
    for i in range(16):
        b = pkt.u8(i)
        n = b & 0x0F
        hist[n] += 1
    best: u32 = 0
    for j in range(16):
        if hist[j] > hist[best]:
            best = u32(j)
    return best % 5


def signed_math(ctx: XdpCtx) -> u32:
    """Signed arithmetic on packet words, clamped with min/max, result mod 5."""
    pkt = ctx.packet()
    if not pkt.has(8):
        return XdpAction.ABORTED
    a = i32(pkt.be32(0))
    b = i32(pkt.be32(4))
    q = a // b if b != 0 else i32(-1)
    r = a % 7
    m = max(min(q, i32(1000)), i32(-1000))
    v = m + r * 3 - (a >> 3)
    return u32(v) % 5


def ctx_fields(ctx: XdpCtx) -> u32:
    if ctx.ingress_ifindex == 3 and ctx.rx_queue_index < 2:
        return XdpAction.DROP
    return XdpAction.PASS


def sock_len(ctx: SkbCtx) -> u32:
    """Socket filter: keep at most 64 bytes of packets longer than 100 bytes."""
    if ctx.len > 100:
        return u32(64)
    ctx.cb0 = ctx.len
    return ctx.len


def random_and_time(ctx: XdpCtx) -> u32:
    t = h.ktime_get_ns()
    r = h.get_prandom_u32()
    if t == 0 and r == 0:
        return XdpAction.ABORTED
    return XdpAction.PASS


def ptr_param(p: Ptr[Stats], n: u64) -> u64:
    p.packets += n
    return p.packets


def byte_at(pkt: Packet, off: u32) -> u32:
    if not pkt.has_at(off, 2):
        return 0
    return u32(pkt.u8(off)) + u32(pkt.be16(off))


def eth_type(pkt: Packet) -> u16:
    if not pkt.has(14):
        return 0
    return pkt.be16(12)


def packet_callees(ctx: XdpCtx) -> u32:
    """Lang functions taking the packet view check bounds themselves."""
    pkt = ctx.packet()
    t = eth_type(pkt)
    off = u32(t & 0x1F)
    return (byte_at(pkt, off) + u32(t)) % 5


@struct
class Words:
    a: u32
    b: u32


def checksum_diff(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(34):
        return XdpAction.ABORTED
    w = Words(a=1, b=2)
    pkt.store_le32(0, u32(h.csum_diff(pkt.ptr(14), 20, w, 8, 0)))
    pkt.store_le32(4, u32(h.csum_diff(w, 8, pkt.ptr(14), 20, 0xFFFF)))
    return XdpAction.PASS
