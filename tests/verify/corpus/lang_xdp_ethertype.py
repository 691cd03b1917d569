# profile: xdp
# expect: accept
# why: a 14-byte check covers the EtherType read
from chamelio.lang import XdpAction, XdpCtx, u32

PASS = u32(XdpAction.PASS)
DROP = u32(XdpAction.DROP)


def handler(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(14):
        return DROP
    if pkt.be16(12) == 0x86DD:
        return DROP
    return PASS
