# profile: chamelio/tx
# expect: accept
# why: rearm the tx hook while the app has data queued
from chamelio.lang import TxCtx, Verdict, u32
from chamelio.lang import helpers as h

TX = u32(Verdict.TX)
DROP = u32(Verdict.DROP)


def handler(ctx: TxCtx) -> u32:
    if ctx.tx_avail == 0:
        return DROP
    if ctx.tx_avail > 1400:
        h.rearm_tx(ctx)
    return TX
