# profile: chamelio/tx
# expect: accept
# why: tx_fill copies send-buffer bytes into 64 checked packet bytes
from chamelio.lang import TxCtx, Verdict, u32
from chamelio.lang import helpers as h

TX = u32(Verdict.TX)
DROP = u32(Verdict.DROP)


def handler(ctx: TxCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(118):
        return DROP
    if h.tx_fill(ctx, pkt.ptr(54), 64, 0) <= 0:
        return DROP
    return TX
