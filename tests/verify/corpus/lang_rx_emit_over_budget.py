# profile: chamelio/rx
# expect: reject budget|cost
# why: 64 emits of 16 bytes, each costing 40 + 16 plus the call, exceed 2000
from chamelio.lang import RxCtx, Verdict, struct, u32, u64
from chamelio.lang import helpers as h

CONSUME = u32(Verdict.CONSUME)


@struct
class Ack:
    a: u64
    b: u64


def handler(ctx: RxCtx) -> u32:
    ack = Ack()
    ack.a = u64(1)
    for i in range(64):
        ack.b = u64(i)
        h.emit(ctx, ack, 16)
    return CONSUME
