"""Context types (what a handler's argument is), built from the ABI layouts.

``XdpCtx`` (hook ``xdp``, ``struct xdp_md``), ``SkbCtx`` (``socket_filter``, ``__sk_buff``),
``RxCtx``/``TxCtx`` (``chamelio/rx`` and ``chamelio/tx``, ``chamelio_ctx``). A scalar field reads
as its layout type (``ctx.ingress_ifindex`` is a ``u32``); writable fields accept assignment of
that type; pointer fields are reached through methods: ``ctx.packet()`` (not for socket
filters), ``ctx.flow_state(T)`` and ``ctx.provider_flow()`` (chamelio hooks).

``Cls.from_packet(data, **fields)`` makes a context for a plain-Python run; afterwards
``ctx.packet_bytes()`` is the (possibly rewritten) packet and, on chamelio hooks,
``ctx.delivered``/``ctx.emitted``/``ctx.events``/``ctx.tx_rearms`` record what flow-I/O
helpers did.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from chamelio import abi
from chamelio.abi.kinds import ValueKind
from chamelio.lang import types as lt
from chamelio.lang.runtime.packet import Packet
from chamelio.lang.runtime.structs import Ptr, StructBase, encode, load, struct_class

if TYPE_CHECKING:
    from chamelio.lang.runtime.ints import u8, u16, u32

_POINTER_HINTS = {
    ValueKind.PTR_TO_PACKET: "use ctx.packet()",
    ValueKind.PTR_TO_PACKET_END: "use ctx.packet() and its has()/len()",
    ValueKind.PTR_TO_PACKET_META: "packet metadata is not supported",
    ValueKind.PTR_TO_FLOW_OR_NULL: "use ctx.flow_state(MyFlowState)",
    ValueKind.PTR_TO_PFLOW_OR_NULL: "use ctx.provider_flow()",
}


class _CtxField:
    def __init__(self, f: abi.ContextField, hook: str) -> None:
        self.f, self.hook, self.type = f, hook, lt.INT_TYPES[f.ctype]

    def __get__(self, inst: Ctx | None, owner: type) -> Any:
        if inst is None:
            return self
        if self.f.kind is not ValueKind.SCALAR:
            raise lt.LangTypeError(f"ctx.{self.f.name} is a pointer ({self.f.kind.value})",
                                   _POINTER_HINTS.get(self.f.kind))
        return load(self.type, inst._raw, self.f.offset)

    def __set__(self, inst: Ctx, value: object) -> None:
        if not self.f.writable:
            raise lt.LangTypeError(f"ctx.{self.f.name} is read-only in the {self.hook} hook")
        inst._raw[self.f.offset:self.f.end] = encode(self.type, value, f"ctx.{self.f.name}")


class Ctx:
    """Base of the context classes."""

    __lang_type__: ClassVar[lt.CtxType]
    _auto: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, data: bytes | bytearray, raw: bytearray) -> None:
        self._buf = bytearray(data)
        self._raw = raw
        self._flow: bytearray | memoryview | None = None
        self._pflow: memoryview | None = None
        self.delivered = bytearray()
        self.emitted: list[bytes] = []
        self.events: list[int] = []
        self.tx_rearms = 0
        self.tx_data = b""

    @classmethod
    def from_packet(cls, data: bytes | bytearray, **fields: object) -> Self:
        """A context for ``data`` with the given scalar fields (others zero)."""
        layout = cls.__lang_type__.layout
        ctx = cls(data, bytearray(layout.size))
        settable = [f.name for f in layout.fields
                    if f.kind is ValueKind.SCALAR and f.name not in cls._auto]
        extra = {k: fields.pop(k) for k in list(fields) if k in cls._extra_args()}
        for name, value in fields.items():
            if name not in settable:
                raise lt.LangTypeError(f"{cls.__name__}.from_packet() has no field {name!r}",
                                       f"fields: {', '.join(settable + sorted(cls._extra_args()))}")
            f = layout.field(name)
            ctx._raw[f.offset:f.end] = encode(lt.INT_TYPES[f.ctype], value, f"ctx.{name}")
        ctx._setup(**extra)
        return ctx

    @classmethod
    def _extra_args(cls) -> frozenset[str]:
        return frozenset()

    def _setup(self, **extra: Any) -> None:
        pass

    def _set_raw(self, name: str, value: int) -> None:
        f = self.__lang_type__.layout.field(name)
        self._raw[f.offset:f.end] = value.to_bytes(f.size, "little")

    def _get_raw(self, name: str) -> int:
        f = self.__lang_type__.layout.field(name)
        return int.from_bytes(self._raw[f.offset:f.end], "little")

    def packet(self) -> Packet:
        """A fresh view of the packet (its bounds checks start empty)."""
        return Packet(self._buf)

    def packet_bytes(self) -> bytes:
        """The packet now (after a run: as the handler left it)."""
        return bytes(self._buf)

    def ctx_bytes(self) -> bytes:
        """The context's storage per the ABI layout (pointer fields zero)."""
        return bytes(self._raw)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {len(self._buf)}-byte packet>"


class XdpCtx(Ctx):
    """``struct xdp_md`` (hook ``xdp``); return an ``XdpAction``."""

    __lang_type__ = lt.CtxType(abi.XDP_MD, abi.hook("xdp"), "XdpCtx")
    # the scalar fields, as type checkers see them (descriptors are made from the layout below)
    ingress_ifindex: u32
    rx_queue_index: u32
    egress_ifindex: u32


class SkbCtx(Ctx):
    """``struct __sk_buff`` as a socket filter sees it; return the number of bytes to keep."""

    __lang_type__ = lt.CtxType(abi.SK_BUFF, abi.hook("socket_filter"), "SkbCtx")
    len: u32
    pkt_type: u32
    mark: u32
    queue_mapping: u32
    protocol: u32
    vlan_present: u32
    vlan_tci: u32
    vlan_proto: u32
    priority: u32
    ingress_ifindex: u32
    ifindex: u32
    tc_index: u32
    cb0: u32
    cb1: u32
    cb2: u32
    cb3: u32
    cb4: u32
    hash: u32

    def _setup(self, **extra: Any) -> None:
        if not self._get_raw("len"):
            self._set_raw("len", len(self._buf))

    def packet(self) -> Packet:
        raise lt.LangTypeError("socket filters have no direct packet access",
                               "read the fields of the context (ctx.len, ctx.protocol, ...)")


class _ChamelioCtx(Ctx):
    _auto = frozenset({"pkt_len", "flow_state_size"})
    flow_id: u32
    tenant_id: u32
    pkt_len: u32
    l3_off: u16
    l4_off: u16
    payload_off: u16
    l4_proto: u8
    flags: u8
    tx_avail: u32
    rx_avail: u32
    flow_state_size: u32

    @classmethod
    def _extra_args(cls) -> frozenset[str]:
        return frozenset({"flow", "pflow", "tx_data"})

    def _setup(self, flow: object = None, pflow: object = None, tx_data: bytes = b"",
               **_: Any) -> None:
        self._set_raw("pkt_len", len(self._buf))
        if isinstance(flow, StructBase):
            self._flow = memoryview(flow._buf)[flow._off:flow._off + flow.__lang_type__.size]
        elif isinstance(flow, bytearray):
            self._flow = flow
        elif isinstance(flow, bytes | memoryview):
            self._flow = bytearray(flow)
        elif flow is not None:
            raise lt.LangTypeError("flow= takes a @struct value, a bytearray or bytes")
        self._set_raw("flow_state_size", 0 if self._flow is None else len(self._flow))
        if pflow is not None:
            self._pflow = memoryview(encode(ProviderFlow.__lang_type__, pflow, "pflow"))
        self.tx_data = bytes(tx_data)
        if tx_data and not self._get_raw("tx_avail"):
            self._set_raw("tx_avail", len(tx_data))

    def flow_state(self, t: Any) -> Ptr | None:
        """``Ptr[T]`` to the tenant's per-flow state (writable), or None if the packet has no
        flow. ``T`` must fit in the flow's state size."""
        target = lt.type_of_annotation(t)
        if self._flow is None:
            return None
        if target.size > len(self._flow):
            raise lt.LangRuntimeError(f"the flow state is {len(self._flow)} bytes; "
                                      f"{target.name} needs {target.size}")
        return Ptr(target, self._flow, 0)

    def provider_flow(self) -> Ptr | None:
        """``Ptr[ProviderFlow]`` to the provider's per-flow state (read-only), or None."""
        if self._pflow is None:
            return None
        return Ptr(ProviderFlow.__lang_type__, self._pflow, 0)

    @property
    def flow_bytes(self) -> bytes | None:
        return None if self._flow is None else bytes(self._flow)


class RxCtx(_ChamelioCtx):
    """``chamelio_ctx`` for ``chamelio/rx``; return a ``Verdict``."""

    __lang_type__ = lt.CtxType(abi.CHAMELIO_CTX, abi.hook("chamelio/rx"), "RxCtx")


class TxCtx(_ChamelioCtx):
    """``chamelio_ctx`` for ``chamelio/tx``; return a ``Verdict``."""

    __lang_type__ = lt.CtxType(abi.CHAMELIO_CTX, abi.hook("chamelio/tx"), "TxCtx")


def _layout_struct(layout: abi.ContextLayout, name: str) -> type[StructBase]:
    """A struct with the fields of a layout; raises if C layout rules place them elsewhere."""
    t = lt.struct_type(name, [(f.name, lt.INT_TYPES[f.ctype]) for f in layout.fields])
    for (fname, _, off), f in zip(t.fields, layout.fields, strict=True):
        if off != f.offset:
            raise AssertionError(f"{layout.name}.{fname}: C layout puts it at {off}, ABI at {f.offset}")
    return struct_class(t)


ProviderFlow = _layout_struct(abi.PROVIDER_FLOW, "ProviderFlow")

CONTEXT_CLASSES: dict[str, type[Ctx]] = {
    c.__lang_type__.hook.name: c for c in (XdpCtx, SkbCtx, RxCtx, TxCtx)
}

for _cls in CONTEXT_CLASSES.values():
    for _f in _cls.__lang_type__.layout.fields:
        setattr(_cls, _f.name, _CtxField(_f, _cls.__lang_type__.hook.name))
