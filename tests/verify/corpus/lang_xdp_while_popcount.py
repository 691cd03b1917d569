# profile: xdp
# expect: accept
# why: a while loop with a provable bound (a counter stepped towards a constant)
from chamelio.lang import XdpAction, XdpCtx, u32

PASS = u32(XdpAction.PASS)
DROP = u32(XdpAction.DROP)


def handler(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(4):
        return PASS
    x = pkt.be32(0)
    bits = u32(0)
    n = u32(0)
    while n < 32:
        n += 1
        if x & 1 != 0:
            bits += 1
        x = x >> 1
    if bits > 16:
        return DROP
    return PASS
