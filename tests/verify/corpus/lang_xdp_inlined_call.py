# profile: xdp
# expect: accept
# why: a lang function called (inlined) from the handler
from chamelio.lang import XdpAction, XdpCtx, u32

PASS = u32(XdpAction.PASS)
DROP = u32(XdpAction.DROP)


def clamp(v: u32, lo: u32, hi: u32) -> u32:
    return max(lo, min(v, hi))


def handler(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(4):
        return PASS
    if clamp(pkt.be32(0), u32(10), u32(20)) == 20:
        return DROP
    return PASS
