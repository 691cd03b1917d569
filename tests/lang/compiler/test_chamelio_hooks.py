"""chamelio/rx and chamelio/tx handlers: native code against plain Python (flow state, the
provider's flow, flow-I/O helpers, lang calls), and their bpf objects."""

from __future__ import annotations

import struct
from typing import Any

from chamelio.ebpf.elf import load_object
from chamelio.lang import ProviderFlow, RxCtx, TxCtx
from chamelio.lang.compiler import compile_bpf, compile_native
from tests.lang.compiler import rx_handlers as R


def _rx(seq: int, conn: Any, payload: bytes) -> RxCtx:
    data = bytes(54) + struct.pack("!I", seq) + payload
    pflow: Any = ProviderFlow
    return RxCtx.from_packet(data, payload_off=54, rx_avail=100, flow=conn,
                             pflow=pflow(state=3))


def _run_rx(runner: Any) -> tuple[list[Any], bytes]:
    conn_cls: Any = R.Conn
    conn = conn_cls(next_seq=5)
    trace: list[Any] = []
    for seq, size in ((5, 64), (6, 70), (9, 64), (7, 10), (7, 64), (8, 64)):
        ctx = _rx(seq, conn, bytes(range(size)))
        trace.append((int(runner(ctx)), bytes(ctx.delivered), list(ctx.events),
                      ctx.ctx_bytes()))
    trace.append(int(runner(RxCtx.from_packet(bytes(60)))))  # no flow: punted
    return trace, conn.to_bytes()


def test_rx_native_equals_python():
    want = _run_rx(R.rx_deliver)
    assert _run_rx(compile_native(R.rx_deliver)) == want
    assert any(d for _, d, _, _ in want[0][:-1])  # something was delivered


def test_tx_native_equals_python():
    native = compile_native(R.tx_ack)
    for runner_pair in ((R.tx_ack, native),):
        outs = []
        for runner in runner_pair:
            conn_cls: Any = R.Conn
            conn = conn_cls(next_seq=9, acks=2)
            ctx = TxCtx.from_packet(bytes(60), flow=conn, tx_data=b"abc")
            empty = TxCtx.from_packet(bytes(60), flow=conn)
            outs.append((int(runner(ctx)), ctx.emitted, ctx.tx_rearms, int(runner(empty)),
                         empty.tx_rearms, int(runner(TxCtx.from_packet(b"")))))
        assert outs[0] == outs[1]


def test_chamelio_hooks_compile_to_their_sections():
    for fn, section in ((R.rx_deliver, "chamelio/rx"), (R.tx_ack, "chamelio/tx")):
        o = load_object(compile_bpf(fn))
        assert [p.section for p in o.programs] == [section]
        assert not o.maps
