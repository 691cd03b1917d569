# profile: xdp
# expect: accept
# why: packet stores inside the checked range (swap the MAC addresses, bounce the frame)
from chamelio.lang import XdpAction, XdpCtx, u32

PASS = u32(XdpAction.PASS)
TX = u32(XdpAction.TX)


def handler(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(14):
        return PASS
    for i in range(6):
        a = pkt.u8(i)
        pkt.store_u8(i, pkt.u8(i + 6))
        pkt.store_u8(i + 6, a)
    return TX
