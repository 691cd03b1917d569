# profile: xdp
# expect: accept
# why: scalar context fields decide the verdict
from chamelio.lang import XdpAction, XdpCtx, u32

PASS = u32(XdpAction.PASS)
DROP = u32(XdpAction.DROP)


def handler(ctx: XdpCtx) -> u32:
    if ctx.rx_queue_index > 3 or ctx.ingress_ifindex == 0:
        return DROP
    return PASS
