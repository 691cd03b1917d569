# profile: xdp
# expect: accept
# why: a hash map counter: lookup, null check, update with BPF_NOEXIST
from chamelio.lang import BPF_NOEXIST, HashMap, XdpAction, XdpCtx, u16, u32, u64

counts = HashMap(key=u16, value=u64, max_entries=64)
PASS = u32(XdpAction.PASS)


def handler(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(14):
        return PASS
    ethertype = pkt.be16(12)
    seen = counts.lookup(ethertype)
    if seen is not None:
        seen[0] += 1
    else:
        counts.update(ethertype, u64(1), BPF_NOEXIST)
    return PASS
