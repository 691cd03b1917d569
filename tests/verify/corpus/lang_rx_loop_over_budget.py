# profile: chamelio/rx
# expect: reject budget|cost
# why: 1000 loop iterations exceed the default rx budget of 2000
from chamelio.lang import RxCtx, Verdict, u32

DROP = u32(Verdict.DROP)
CONSUME = u32(Verdict.CONSUME)


def handler(ctx: RxCtx) -> u32:
    x = ctx.flow_id
    acc = u32(0)
    for i in range(1000):
        acc = acc * 31 + (x ^ i)
    if acc == 0:
        return DROP
    return CONSUME
