# profile: xdp
# expect: reject budget|cost
# budget: 300
# why: a 200-iteration loop costs more than the budget of 300 given to it
from chamelio.lang import XdpAction, XdpCtx, u32

PASS = u32(XdpAction.PASS)
DROP = u32(XdpAction.DROP)


def handler(ctx: XdpCtx) -> u32:
    x = ctx.ingress_ifindex
    acc = u32(0)
    for i in range(200):
        acc = acc * 31 + (x ^ i)
    if acc == 0:
        return DROP
    return PASS
