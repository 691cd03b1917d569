"""Context classes from the ABI layouts, and a handler from the design note run as Python."""

from __future__ import annotations

import pytest

from chamelio import abi
from chamelio.lang import (
    BPF_ANY,
    HashMap,
    LangRuntimeError,
    LangTypeError,
    ProviderFlow,
    RxCtx,
    SkbCtx,
    Struct,
    TxCtx,
    Verdict,
    XdpAction,
    XdpCtx,
    struct,
    u8,
    u16,
    u32,
    u64,
)
from chamelio.lang import types as lt

counts = HashMap(key=u32, value=u64, max_entries=64)


@struct
class IPv4:
    ver_ihl: u8
    tos: u8
    total_len: u16
    ident: u16
    frag: u16
    ttl: u8
    proto: u8
    csum: u16
    saddr: u32
    daddr: u32


def count_ipv4(ctx: XdpCtx) -> XdpAction:
    pkt = ctx.packet()
    if not pkt.has(14):
        return XdpAction.PASS
    if pkt.be16(12) != 0x0800:
        return XdpAction.PASS
    key = u32(0)
    v = counts.lookup(key)
    if v is not None:
        v[0] += 1
    else:
        counts.update(key, u64(1), BPF_ANY)
    if not pkt.has(34):
        return XdpAction.DROP
    ip = pkt.view(IPv4, 14)
    ip.ttl -= 1
    return XdpAction.TX


FRAME = bytes(12) + b"\x08\x00" + bytes.fromhex("4500001400000000400600000102030405060708")


def test_the_design_note_handler_runs_as_python() -> None:
    counts.clear()
    for _ in range(3):
        ctx = XdpCtx.from_packet(FRAME, ingress_ifindex=3)
        assert count_ipv4(ctx) == XdpAction.TX
        assert ctx.packet_bytes()[14 + 8] == 63  # ttl rewritten in the packet
    assert count_ipv4(XdpCtx.from_packet(FRAME[:20])) == XdpAction.DROP
    assert count_ipv4(XdpCtx.from_packet(FRAME[:10])) == XdpAction.PASS
    assert counts.items() == [(u32(0), u64(4))]


def test_context_fields_follow_the_layouts() -> None:
    for cls in (XdpCtx, SkbCtx, RxCtx, TxCtx):
        ct = cls.__lang_type__
        assert lt.type_of_annotation(cls) is ct and ct.size == ct.layout.size
    x = XdpCtx.from_packet(b"abc", ingress_ifindex=7, rx_queue_index=u32(2))
    assert x.ingress_ifindex == u32(7) and type(x.rx_queue_index) is u32
    assert x.ctx_bytes()[12:16] == (7).to_bytes(4, "little")
    with pytest.raises(LangTypeError, match="read-only"):
        x.ingress_ifindex = u32(1)
    with pytest.raises(LangTypeError, match=r"ctx\.packet\(\)"):
        x.data  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(LangTypeError, match="no field 'ifindex'"):
        XdpCtx.from_packet(b"", ifindex=1)
    with pytest.raises(LangTypeError, match="does not fit"):
        XdpCtx.from_packet(b"", ingress_ifindex=-1)


def test_socket_filter_context() -> None:
    s = SkbCtx.from_packet(bytes(60), protocol=0x0008)
    assert s.len == u32(60) and s.protocol == u32(8)
    s.cb0 = u32(5)
    assert s.cb0 == 5
    with pytest.raises(LangTypeError, match="read-only"):
        s.mark = u32(1)
    with pytest.raises(LangTypeError, match="no direct packet access"):
        s.packet()


class FlowState(Struct):
    seq: u32
    acked: u32


def test_chamelio_contexts() -> None:
    st = FlowState(seq=100)
    pf = ProviderFlow(local_port=0x5000, rx_size=4096)
    rx = RxCtx.from_packet(bytes(54), flow=st, pflow=pf, l3_off=14, l4_off=34, l4_proto=6)
    assert rx.pkt_len == u32(54) and rx.flow_state_size == u32(8)
    assert rx.l3_off == u16(14) and type(rx.l4_proto) is u8
    f = rx.flow_state(FlowState)
    assert f is not None and f.seq == 100
    f.seq += 1
    assert st.seq == u32(101)  # the caller's struct is the flow state
    p = rx.provider_flow()
    assert p is not None and p.rx_size == u32(4096)
    with pytest.raises(LangTypeError, match="read-only"):
        p.rx_size = u32(1)
    with pytest.raises(LangTypeError, match="flow_state"):
        rx.flow  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(LangRuntimeError, match="8 bytes"):
        rx.flow_state(IPv4)
    bare = TxCtx.from_packet(b"", tx_data=b"hello")
    assert bare.flow_state(FlowState) is None and bare.provider_flow() is None
    assert bare.tx_avail == u32(5) and bare.__lang_type__.hook is abi.hook("chamelio/tx")
    assert Verdict.TX == 2
    for f_abi, (name, t, off) in zip(abi.PROVIDER_FLOW.fields, ProviderFlow.__lang_type__.fields,
                                     strict=True):
        assert (f_abi.name, f_abi.offset, f_abi.ctype) == (name, off, t.name)


def test_declared_field_annotations_match_the_layouts() -> None:
    import inspect

    for cls in (XdpCtx, SkbCtx, RxCtx, TxCtx):
        declared: dict[str, object] = {}
        for klass in reversed(cls.__mro__):
            declared.update(inspect.get_annotations(klass))
        scalars = {f.name: f.ctype for f in cls.__lang_type__.layout.fields
                   if f.kind is abi.ValueKind.SCALAR}
        fields = {k: v for k, v in declared.items() if not k.startswith("_")}
        assert fields == scalars, cls.__name__
