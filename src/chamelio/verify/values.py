"""Abstract register values: not initialised, a scalar, or a pointer into one region.

A :class:`Pointer` is a region kind plus an offset (a :class:`Scalar`, so offsets may vary
within bounds). Packet pointers also carry the kernel's packet bookkeeping: ``id`` names
the variable part added to ``data`` (0: none, the offset is a constant), ``fixed`` is the
constant added after it, and ``range`` the bytes proven to exist from ``data + variable
part`` (learned from ``ptr + N > data_end`` checks; :data:`UNKNOWN_RANGE` for a variable
base never compared, which may lie past the end); an access through the pointer at
``fixed + off + size <= range`` is in bounds. Maybe-null pointers (a map lookup, the flow
state) carry an ``id`` shared by all their copies so that one null check refines every copy.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chamelio.abi import ValueKind
from chamelio.verify.scalar import Scalar

U32 = 0xFFFF_FFFF
U64 = 0xFFFF_FFFF_FFFF_FFFF


class PtrKind(enum.Enum):
    CTX = "ctx"
    PACKET = "pkt"
    PACKET_END = "pkt_end"
    PACKET_META = "pkt_meta"
    STACK = "fp"
    MAP_VALUE = "map_value"
    FLOW = "flow"
    PFLOW = "pflow"
    MAP_PTR = "map_ptr"


# What a context field of each ValueKind loads as (kind, nullable).
FIELD_POINTERS: dict[ValueKind, tuple[PtrKind, bool]] = {
    ValueKind.PTR_TO_CTX: (PtrKind.CTX, False),
    ValueKind.PTR_TO_PACKET: (PtrKind.PACKET, False),
    ValueKind.PTR_TO_PACKET_META: (PtrKind.PACKET_META, False),
    ValueKind.PTR_TO_PACKET_END: (PtrKind.PACKET_END, False),
    ValueKind.PTR_TO_FLOW_OR_NULL: (PtrKind.FLOW, True),
    ValueKind.PTR_TO_PFLOW_OR_NULL: (PtrKind.PFLOW, True),
    ValueKind.PTR_TO_MAP_VALUE_OR_NULL: (PtrKind.MAP_VALUE, True),
}

# Regions a pointer of each kind may read and write memory in.
MEMORY_KINDS = frozenset({PtrKind.CTX, PtrKind.PACKET, PtrKind.PACKET_META, PtrKind.STACK,
                          PtrKind.MAP_VALUE, PtrKind.FLOW, PtrKind.PFLOW})  # fmt: skip
# Pointers whose offset a program may move with add/sub.
ARITH_KINDS = MEMORY_KINDS


class NotInit:
    """A register never written (or clobbered by a call): reading it is an error. ``why``
    says why a register that held a value became unusable (a deleted map entry ...)."""

    __slots__ = ("why",)

    def __init__(self, why: str = "") -> None:
        self.why = why

    def __repr__(self) -> str:
        return f"NotInit({self.why!r})" if self.why else "NOT_INIT"


NOT_INIT = NotInit()
UNKNOWN_RANGE = -1  # a variable packet base not yet compared with data_end
ZERO = Scalar.const(0)


@dataclass(frozen=True, slots=True)
class Pointer:
    kind: PtrKind
    off: Scalar  # bytes from the region's start (stack: from the frame's top, negative)
    id: int = 0  # packet: the variable base (0: data); maybe-null: the null-check id
    fixed: int = 0  # packet: constant offset from the variable base (id 0: == off)
    range: int = 0  # packet: bytes proven from the base (UNKNOWN_RANGE: not even 0)
    map_index: int = -1  # map value / map reference: the map
    frame: int = 0  # stack: the call depth of the frame
    nullable: bool = False

    @property
    def const_off(self) -> int | None:
        """The offset as a signed constant, or None when it varies."""
        if not self.off.is_const():
            return None
        v = self.off.const_value()
        return v - (1 << 64) if v >> 63 else v

    def moved(self, off: Scalar, fixed: int, id: int | None = None, range: int | None = None) -> Pointer:
        return Pointer(self.kind, off, self.id if id is None else id, fixed,
                       self.range if range is None else range, self.map_index, self.frame,
                       self.nullable)  # fmt: skip


Value = NotInit | Scalar | Pointer


def ptr(kind: PtrKind, off: int = 0, **fields: int | bool) -> Pointer:
    """A pointer at the constant offset ``off`` (tests and the explorer's entry state)."""
    fixed = off if kind in (PtrKind.PACKET, PtrKind.PACKET_META) else 0
    return Pointer(kind, Scalar.const(off), fixed=fixed, **fields)  # type: ignore[arg-type]


def signed(v: int) -> int:
    v &= U64
    return v - (1 << 64) if v >> 63 else v


def format_scalar(s: Scalar) -> str:
    if s.is_const():
        v = s.const_value()
        return str(signed(v)) if signed(v) < 0 and signed(v) > -4096 else (
            str(v) if v < 4096 else hex(v))
    parts: list[str] = []
    if s.umin or s.umax != U64:
        parts.append(f"u{_num(s.umin)}..{_num(s.umax)}")
    if (s.smin != -(1 << 63) or s.smax != (1 << 63) - 1) and not (s.smin == s.umin and s.smax == s.umax):
        parts.append(f"s{_num(s.smin)}..{_num(s.smax)}")
    mask = s.var.mask
    if mask != U64 and not (s.umax < (1 << 63) and mask == (1 << s.umax.bit_length()) - 1):
        parts.append(f"bits={s.var}")
    return "scalar(" + ",".join(parts) + ")" if parts else "scalar"


def _num(v: int) -> str:
    return str(v) if -4096 < v < 4096 else hex(v)


def format_offset(s: Scalar) -> str:
    if s.is_const():
        return str(signed(s.const_value()))
    return format_scalar(s)


def format_value(v: Value) -> str:
    if isinstance(v, NotInit):
        return "?"
    if isinstance(v, Scalar):
        return format_scalar(v)
    kind = v.kind
    name = kind.value
    if kind is PtrKind.STACK:
        name = "fp" if v.frame == 0 else f"fp[{v.frame}]"
    elif kind in (PtrKind.MAP_VALUE, PtrKind.MAP_PTR):
        name = f"{kind.value}(map {v.map_index})"
    if v.nullable:
        name += "_or_null"
    details: list[str] = []
    if kind is PtrKind.PACKET:
        if v.id:
            details.append(f"id={v.id}")
            details.append(f"fixed={v.fixed}")
        details.append(f"r={v.range}" if v.range >= 0 else "r=?")
    elif v.nullable and v.id:
        details.append(f"id={v.id}")
    off = v.off
    text = name
    if not (off.is_const() and off.const_value() == 0) or details:
        text += "(" + ",".join([f"off={format_offset(off)}", *details]) + ")"
    return text
