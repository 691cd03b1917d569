# profile: xdp
# expect: accept
# why: a constant-bound for loop over checked packet bytes
from chamelio.lang import XdpAction, XdpCtx, u32

PASS = u32(XdpAction.PASS)
DROP = u32(XdpAction.DROP)


def handler(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(16):
        return PASS
    total = u32(0)
    for i in range(16):
        total += u32(pkt.u8(i))
    if total == 0:
        return DROP
    return PASS
