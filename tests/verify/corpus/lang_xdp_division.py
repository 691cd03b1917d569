# profile: xdp
# expect: accept
# why: division and modulo by a packet byte that may be zero: defined (0 and the dividend)
from chamelio.lang import XdpAction, XdpCtx, u32

PASS = u32(XdpAction.PASS)
DROP = u32(XdpAction.DROP)


def handler(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(2):
        return PASS
    a = u32(pkt.u8(0))
    b = u32(pkt.u8(1))
    if a // b + a % b == 7:
        return DROP
    return PASS
