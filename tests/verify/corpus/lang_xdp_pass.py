# profile: xdp
# expect: accept
# why: the smallest lang handler: a constant verdict
from chamelio.lang import XdpAction, XdpCtx, u32

PASS = u32(XdpAction.PASS)


def handler(ctx: XdpCtx) -> u32:
    return PASS
