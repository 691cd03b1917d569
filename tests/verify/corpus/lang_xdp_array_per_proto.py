# profile: xdp
# expect: accept
# why: an array map indexed by the IPv4 protocol byte
from chamelio.lang import ArrayMap, XdpAction, XdpCtx, u32, u64

per_proto = ArrayMap(value=u64, max_entries=256)
PASS = u32(XdpAction.PASS)


def handler(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(34) or pkt.be16(12) != 0x0800:
        return PASS
    slot = per_proto.lookup(u32(pkt.u8(23)))
    if slot is not None:
        slot[0] += 1
    return PASS
