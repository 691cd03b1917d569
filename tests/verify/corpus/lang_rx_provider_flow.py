# profile: chamelio/rx
# expect: accept
# why: the provider's flow state is readable (ports, buffer positions)
from chamelio.lang import RxCtx, Verdict, u32

PUNT = u32(Verdict.PUNT)
DROP = u32(Verdict.DROP)


def handler(ctx: RxCtx) -> u32:
    pf = ctx.provider_flow()
    if pf is None:
        return PUNT
    if pf.rx_tail - pf.rx_head >= pf.rx_size:
        return DROP
    return PUNT
