# profile: xdp
# expect: accept
# why: a struct view of the UDP header after IPv4 options (variable offset, checked with has_at)
from chamelio.lang import XdpAction, XdpCtx, struct, u16, u32

PASS = u32(XdpAction.PASS)
DROP = u32(XdpAction.DROP)


@struct
class UdpHeader:
    sport: u16
    dport: u16
    length: u16
    csum: u16


def handler(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(34) or pkt.be16(12) != 0x0800 or pkt.u8(23) != 17:
        return PASS
    l4 = 14 + u32(pkt.u8(14) & 0x0F) * 4
    if not pkt.has_at(l4, 8):
        return PASS
    udp = pkt.view(UdpHeader, l4)
    if udp.dport == 0x3500:
        return DROP
    return PASS
