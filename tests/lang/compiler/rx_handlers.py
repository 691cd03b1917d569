"""chamelio/rx and chamelio/tx handlers (per-flow state, flow-I/O helpers, lang calls)."""

# mypy: ignore-errors
# (lang source: int literals take their operand's type, which mypy cannot express)

from __future__ import annotations

from chamelio.lang import Array, RxCtx, TxCtx, Verdict, struct, u8, u16, u32, u64
from chamelio.lang import helpers as h


@struct
class Conn:
    next_seq: u32
    delivered: u64
    acks: u16
    flags: u8
    hist: Array[u8, 4]


def payload_sum(pkt_byte: u8, acc: u32) -> u32:
    return acc + u32(pkt_byte)


def rx_deliver(ctx: RxCtx) -> u32:
    """Deliver the payload of a flow's packets in order; punt the others."""
    st = ctx.flow_state(Conn)
    if st is None:
        return Verdict.PUNT
    pkt = ctx.packet()
    off = u32(ctx.payload_off)
    if not pkt.has_at(off, 4):
        return Verdict.DROP
    seq = pkt.be32(off)
    if seq != st.next_seq:
        st.hist[3] += 1
        return Verdict.PUNT
    n = ctx.pkt_len - u32(ctx.payload_off) - 4
    acc: u32 = 0
    for i in range(4):
        acc = payload_sum(pkt.u8(off + 0), acc)
        st.hist[i] = st.hist[i] + 1
    if n >= 64 and pkt.has_at(off, 68):
        got = h.rx_deliver(ctx, pkt.ptr(off + 4), 64)
        st.delivered += u64(got)
    st.next_seq = seq + 1
    st.acks += 1
    h.notify_app(ctx, u64(acc))
    pf = ctx.provider_flow()
    if pf is not None and pf.state == 3:
        st.flags |= 1
    return Verdict.CONSUME


def tx_ack(ctx: TxCtx) -> u32:
    """Emit a small ack built in a local struct; re-arm when data is still queued."""
    st = ctx.flow_state(Conn)
    if st is None:
        return Verdict.DROP
    ack = Conn(next_seq=st.next_seq, acks=st.acks)
    rc = h.emit(ctx, ack, 24)
    if ctx.tx_avail > 0:
        h.rearm_tx(ctx)
    return Verdict.TX if rc == 0 else Verdict.DROP
