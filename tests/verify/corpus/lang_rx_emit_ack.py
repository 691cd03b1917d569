# profile: chamelio/rx
# expect: accept
# why: an extra packet built in a stack struct and passed to emit
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
    ack.b = u64(ctx.flow_id)
    h.emit(ctx, ack, 16)
    h.notify_app(ctx, 1)
    return CONSUME
