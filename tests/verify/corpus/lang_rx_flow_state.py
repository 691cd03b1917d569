# profile: chamelio/rx
# expect: accept
# flow: 8
# why: the tenant flow state, None-checked, read and written
from chamelio.lang import RxCtx, Verdict, struct, u16, u32

PUNT = u32(Verdict.PUNT)
CONSUME = u32(Verdict.CONSUME)


@struct
class Conn:
    next_seq: u32
    acks: u16


def handler(ctx: RxCtx) -> u32:
    st = ctx.flow_state(Conn)
    if st is None:
        return PUNT
    st.acks += 1
    st.next_seq = st.next_seq + 1
    return CONSUME
