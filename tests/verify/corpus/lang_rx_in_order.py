# profile: chamelio/rx
# expect: accept
# flow: 8
# why: in-order delivery of a 4-byte payload with rx_deliver (docs/lang.md's example)
from chamelio.lang import RxCtx, Verdict, struct, u16, u32
from chamelio.lang import helpers as h

PUNT = u32(Verdict.PUNT)
DROP = u32(Verdict.DROP)
CONSUME = u32(Verdict.CONSUME)


@struct
class Conn:
    next_seq: u32
    acks: u16


def handler(ctx: RxCtx) -> u32:
    st = ctx.flow_state(Conn)
    if st is None:
        return PUNT
    pkt = ctx.packet()
    off = u32(ctx.payload_off)
    if not pkt.has_at(off, 8):
        return DROP
    seq = pkt.be32(off)
    if seq != st.next_seq:
        return PUNT
    st.next_seq = seq + 1
    st.acks += 1
    h.rx_deliver(ctx, pkt.ptr(off + 4), 4)
    return CONSUME
