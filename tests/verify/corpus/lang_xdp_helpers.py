# profile: xdp
# expect: accept
# why: csum_diff over the checked IPv4 header, ktime_get_ns and get_prandom_u32
from chamelio.lang import XdpAction, XdpCtx, u32
from chamelio.lang import helpers as h

PASS = u32(XdpAction.PASS)
ABORTED = u32(XdpAction.ABORTED)


def handler(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(34):
        return PASS
    folded = h.csum_diff(pkt.ptr(14), 0, pkt.ptr(14), 20, 0)
    started = h.ktime_get_ns()
    if folded < 0 or h.get_prandom_u32() == 0 or started == 0:
        return ABORTED
    return PASS
