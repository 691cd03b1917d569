"""Context layouts: what ``r1`` points to when a handler starts.

A layout lists every field with its offset, size, the C-like scalar type of its storage and the
:class:`~chamelio.abi.kinds.ValueKind` a load of it yields. The kernel profiles (``xdp_md``,
``__sk_buff``) match ``include/uapi/linux/bpf.h``: there, 32-bit ``data``/``data_end`` fields
load as 64-bit packet pointers (the kernel rewrites the access). Chamelio's own context stores
real 64-bit pointers, so native code and the interpreter see the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chamelio.abi.kinds import ValueKind


@dataclass(frozen=True, slots=True)
class ContextField:
    name: str
    offset: int
    size: int  # bytes of storage: 1, 2, 4 or 8
    ctype: str  # storage type in lang terms: "u8", "u16", "u32", "u64"
    kind: ValueKind = ValueKind.SCALAR
    writable: bool = False
    doc: str = ""

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True, slots=True)
class ContextLayout:
    name: str  # C struct name, e.g. "xdp_md"
    size: int
    fields: tuple[ContextField, ...]
    # Bytes the handler may read although no named field covers them (none by default).
    doc: str = ""
    _by_name: dict[str, ContextField] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for f in self.fields:
            if f.end > self.size:
                raise ValueError(f"{self.name}.{f.name} ends at {f.end}, past size {self.size}")
            self._by_name[f.name] = f

    def field(self, name: str) -> ContextField:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(f.name for f in self.fields)
            raise KeyError(f"{self.name} has no field {name!r} (fields: {known})") from None

    def field_at(self, offset: int, size: int) -> ContextField | None:
        """The field exactly covering ``[offset, offset+size)``, or None (a narrower load of a
        scalar field is allowed, as in the kernel; pointer fields must be loaded whole)."""
        for f in self.fields:
            if f.offset == offset and f.size == size:
                return f
            if f.kind is ValueKind.SCALAR and f.offset <= offset and offset + size <= f.end:
                return f
        return None


def _f(name: str, off: int, ctype: str, kind: ValueKind = ValueKind.SCALAR, *,
       writable: bool = False, doc: str = "") -> ContextField:
    size = {"u8": 1, "u16": 2, "u32": 4, "u64": 8}[ctype]
    return ContextField(name, off, size, ctype, kind, writable, doc)


# struct xdp_md (include/uapi/linux/bpf.h)
XDP_MD = ContextLayout(
    "xdp_md",
    24,
    (
        _f("data", 0, "u32", ValueKind.PTR_TO_PACKET, doc="start of packet data"),
        _f("data_end", 4, "u32", ValueKind.PTR_TO_PACKET_END, doc="end of packet data"),
        _f("data_meta", 8, "u32", ValueKind.PTR_TO_PACKET_META, doc="start of metadata"),
        _f("ingress_ifindex", 12, "u32"),
        _f("rx_queue_index", 16, "u32"),
        _f("egress_ifindex", 20, "u32"),
    ),
    doc="the kernel's XDP context",
)

# struct __sk_buff, the fields a socket filter may read (plus cb[], which it may write).
SK_BUFF = ContextLayout(
    "__sk_buff",
    192,
    (
        _f("len", 0, "u32"),
        _f("pkt_type", 4, "u32"),
        _f("mark", 8, "u32"),
        _f("queue_mapping", 12, "u32"),
        _f("protocol", 16, "u32"),
        _f("vlan_present", 20, "u32"),
        _f("vlan_tci", 24, "u32"),
        _f("vlan_proto", 28, "u32"),
        _f("priority", 32, "u32"),
        _f("ingress_ifindex", 36, "u32"),
        _f("ifindex", 40, "u32"),
        _f("tc_index", 44, "u32"),
        *(_f(f"cb{i}", 48 + 4 * i, "u32", writable=True) for i in range(5)),
        _f("hash", 68, "u32"),
    ),
    doc="the kernel's socket-buffer context as a socket filter sees it (no direct packet access)",
)

# Chamelio's own context for the chamelio/rx and chamelio/tx hooks; read-only to handlers.
CHAMELIO_CTX = ContextLayout(
    "chamelio_ctx",
    64,
    (
        _f("data", 0, "u64", ValueKind.PTR_TO_PACKET, doc="start of the packet (Ethernet header)"),
        _f("data_end", 8, "u64", ValueKind.PTR_TO_PACKET_END, doc="one past the packet's last byte"),
        _f("flow", 16, "u64", ValueKind.PTR_TO_FLOW_OR_NULL,
           doc="the tenant's per-flow state (flow_state_size bytes, writable) or 0 when unclassified"),
        _f("pflow", 24, "u64", ValueKind.PTR_TO_PFLOW_OR_NULL,
           doc="the provider's per-flow state (read-only) or 0"),
        _f("flow_id", 32, "u32", doc="index of the flow in the provider's flow table"),
        _f("tenant_id", 36, "u32"),
        _f("pkt_len", 40, "u32", doc="data_end - data"),
        _f("l3_off", 44, "u16", doc="offset of the IPv4 header"),
        _f("l4_off", 46, "u16", doc="offset of the TCP/UDP header"),
        _f("payload_off", 48, "u16", doc="offset of the L4 payload"),
        _f("l4_proto", 50, "u8", doc="IP protocol number (6 TCP, 17 UDP)"),
        _f("flags", 51, "u8", doc="hook-specific flags"),
        _f("tx_avail", 52, "u32", doc="tx: bytes queued by the app and not yet sent"),
        _f("rx_avail", 56, "u32", doc="free bytes in the flow's receive buffer"),
        _f("flow_state_size", 60, "u32", doc="size of the tenant flow state"),
    ),
    doc="Chamelio hook context (chamelio/rx, chamelio/tx)",
)

# The provider's half of the per-flow state (TAS split). Handlers read it, never write it.
PROVIDER_FLOW = ContextLayout(
    "chamelio_pflow",
    48,
    (
        _f("local_ip", 0, "u32", doc="network byte order"),
        _f("remote_ip", 4, "u32", doc="network byte order"),
        _f("local_port", 8, "u16", doc="network byte order"),
        _f("remote_port", 10, "u16", doc="network byte order"),
        _f("proto", 12, "u8"),
        _f("state", 13, "u8", doc="slow-path owned connection state"),
        _f("tenant_id", 16, "u32"),
        _f("rx_size", 20, "u32", doc="receive buffer size"),
        _f("rx_head", 24, "u32", doc="next byte the app reads"),
        _f("rx_tail", 28, "u32", doc="next byte the fast path writes"),
        _f("tx_size", 32, "u32", doc="send buffer size"),
        _f("tx_head", 36, "u32", doc="first unacknowledged byte"),
        _f("tx_sent", 40, "u32", doc="next byte to send"),
        _f("tx_tail", 44, "u32", doc="end of the app's queued data"),
    ),
    doc="provider-owned per-flow state",
)

LAYOUTS: dict[str, ContextLayout] = {
    layout.name: layout for layout in (XDP_MD, SK_BUFF, CHAMELIO_CTX, PROVIDER_FLOW)
}
