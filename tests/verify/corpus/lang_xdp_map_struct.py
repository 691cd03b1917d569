# profile: xdp
# expect: accept
# why: a hash map of struct values keyed by the IPv4 source address
from chamelio.lang import BPF_ANY, HashMap, XdpAction, XdpCtx, struct, u32, u64

PASS = u32(XdpAction.PASS)


@struct
class Stats:
    packets: u64
    bytes: u64


per_source = HashMap(key=u32, value=Stats, max_entries=128)


def handler(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(34) or pkt.be16(12) != 0x0800:
        return PASS
    src = pkt.be32(26)
    s = per_source.lookup(src)
    if s is None:
        first = Stats()
        first.packets = u64(1)
        per_source.update(src, first, BPF_ANY)
    else:
        s.packets += 1
        s.bytes += u64(pkt.len())
    return PASS
