# profile: chamelio/tx
# expect: reject budget|cost
# why: two 1400-byte tx_fill calls cost 2 x (30 + 1400), over the tx budget of 2000
from chamelio.lang import TxCtx, Verdict, u32
from chamelio.lang import helpers as h

TX = u32(Verdict.TX)
DROP = u32(Verdict.DROP)


def handler(ctx: TxCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(1454):
        return DROP
    h.tx_fill(ctx, pkt.ptr(54), 1400, 0)
    h.tx_fill(ctx, pkt.ptr(54), 1400, 1400)
    return TX
