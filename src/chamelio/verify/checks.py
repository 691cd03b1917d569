"""Memory access checks per region, and the profile the checks read.

Every load, store, atomic and helper memory argument goes through :func:`load`,
:func:`store` or :func:`check_range`; each raises :class:`Unsafe` (message + hint) when the
access is not provably inside a region the profile grants, or writes where it may not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chamelio.abi import MAP_TYPES, PROVIDER_FLOW, Hook, ValueKind
from chamelio.verify.scalar import Scalar, load_result
from chamelio.verify.state import Frame, StackError, State
from chamelio.verify.values import FIELD_POINTERS, Pointer, PtrKind, Value, format_offset

STACK_SIZE = 512
MAX_PACKET = 0xFFFF  # data_end - data never exceeds this (the kernel's MAX_PACKET_OFF)
MAX_VAR_OFF = 1 << 29  # bound on a variable offset (the kernel's BPF_MAX_VAR_OFF)
BPF_F_RDONLY_PROG = 1 << 7
# Map types whose values a lookup returns (others hold no memory the program may touch).
VALUE_MAP_TYPES = frozenset(int(t) for t in MAP_TYPES)
# ... and those whose entries a delete frees (pointers to their values die with them).
DELETABLE_MAP_TYPES = frozenset(int(t) for t, info in MAP_TYPES.items() if not info.keyed_by_index)


class Unsafe(Exception):
    """The program may do something the profile forbids (a rejection, not an input error)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class MapInfo:
    """What the verifier needs of a map (any ``MapDef``-like object)."""

    type: int
    key_size: int
    value_size: int
    max_entries: int
    flags: int = 0
    name: str = ""

    @property
    def read_only(self) -> bool:
        return bool(self.flags & BPF_F_RDONLY_PROG)

    @property
    def label(self) -> str:
        return f"map {self.name!r}" if self.name else "map"


@dataclass
class Env:
    """The profile and the program's maps, plus the id source for new pointers."""

    hook: Hook
    maps: list[MapInfo]
    flow_state_size: int = 64
    next_id: int = field(default=0)

    @property
    def kernel(self) -> bool:
        return self.hook.kernel_prog_type is not None

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def map_of(self, p: Pointer) -> MapInfo:
        return self.maps[p.map_index]


def _span(p: Pointer, off: int, size: int) -> str:
    const = p.const_off
    if const is not None:
        return f"{size} byte(s) at offset {const + off}"
    return f"{size} byte(s) at offset {format_offset(p.off)}{off:+d}"


def _bounded(p: Pointer, off: int, size: int, limit: int, what: str, hint: str) -> None:
    """``[p.off + off, p.off + off + size)`` lies within ``[0, limit)``."""
    lo = p.off.smin + off
    hi = p.off.umax + off + size
    if p.off.smin < -MAX_VAR_OFF or p.off.umax > MAX_VAR_OFF or lo < 0 or hi > limit:
        raise Unsafe(f"access of {_span(p, off, size)} is outside the {what} ({limit} bytes)", hint)


def _check_packet(p: Pointer, off: int, size: int) -> None:
    if p.off.smin + off < 0 or p.off.smin < -MAX_VAR_OFF or p.off.umax > MAX_VAR_OFF:
        raise Unsafe(f"packet access of {_span(p, off, size)} may be before the packet start",
                     "offsets into the packet must be provably non-negative")
    if p.range < 0 or p.fixed + off + size > p.range:
        base = "data" if p.id == 0 else "the variable offset"
        raise Unsafe(
            f"packet access of {_span(p, off, size)} is beyond the {max(p.range, 0)} byte(s) "
            f"proven to exist from {base}",
            f"check `ptr + {p.fixed + off + size} > data_end` before this access")


def _check_meta(p: Pointer, off: int, size: int) -> None:
    if p.off.smin + off < 0 or p.fixed + off + size > p.range:
        raise Unsafe(f"metadata access of {_span(p, off, size)} is beyond the {p.range} "
                     "byte(s) proven before data", "compare `data_meta + N > data` first")


def region(env: Env, p: Pointer) -> tuple[str, int]:
    """(name, size) of the region behind a map value, flow or provider flow pointer."""
    if p.kind is PtrKind.MAP_VALUE:
        m = env.map_of(p)
        return f"value of {m.label} (map {p.map_index})", m.value_size
    if p.kind is PtrKind.FLOW:
        return "flow state", env.flow_state_size
    return "provider flow state", PROVIDER_FLOW.size


def _non_null(p: Pointer) -> None:
    if p.nullable:
        raise Unsafe(f"{p.kind.value}_or_null pointer dereferenced before a null check",
                     "compare the pointer with 0 (`if (p)`) before using it")


def stack_frame(state: State, p: Pointer, off: int, size: int) -> tuple[Frame, int, int]:
    """The frame and the byte interval ``[lo, hi)`` a stack access may touch."""
    lo = p.off.smin + off
    hi = p.off.smax + off + size
    if lo < -STACK_SIZE or hi > 0:
        raise Unsafe(f"stack access of {_span(p, off, size)} is outside the 512-byte frame",
                     "stack offsets from r10 lie in [-512, 0)")
    return state.frames[p.frame], lo, hi


def ctx_load(env: Env, state: State, p: Pointer, off: int, size: int) -> Value:
    layout = env.hook.context
    const = p.const_off
    if const is None:
        raise Unsafe("context access with a variable offset", "context fields have fixed offsets")
    at = const + off
    fld = layout.field_at(at, size) if at >= 0 else None
    if fld is None:
        raise Unsafe(f"invalid context access: no field of {layout.name} covers {size} byte(s) "
                     f"at offset {at}", "load a whole field (see `chamelio abi`)")
    if fld.kind is ValueKind.SCALAR:
        return load_result(size)
    kind, nullable = FIELD_POINTERS[fld.kind]
    if kind is PtrKind.PACKET:
        return Pointer(kind, Scalar.const(0), range=state.packet_range())
    return Pointer(kind, Scalar.const(0), env.new_id() if nullable else 0, nullable=nullable)


def load(env: Env, state: State, p: Pointer, off: int, size: int, signed: bool) -> Value:
    """The value a ``size``-byte load at ``p + off`` yields, or :class:`Unsafe`."""
    kind = p.kind
    _non_null(p)
    if kind is PtrKind.STACK:
        frame, lo, hi = stack_frame(state, p, off, size)
        try:
            if lo + size == hi:
                return frame.read(lo, size, signed)
            frame.check_init(lo, hi)
        except StackError as exc:
            raise Unsafe(f"stack load {exc}", "write a stack slot before reading it") from None
        return load_result(size, signed)
    if kind is PtrKind.CTX:
        if signed:
            raise Unsafe("sign-extending load from the context", "use a plain load")
        return ctx_load(env, state, p, off, size)
    if kind is PtrKind.PACKET:
        _check_packet(p, off, size)
    elif kind is PtrKind.PACKET_META:
        _check_meta(p, off, size)
    elif kind in (PtrKind.MAP_VALUE, PtrKind.FLOW, PtrKind.PFLOW):
        name, limit = region(env, p)
        _bounded(p, off, size, limit, name, "bound the offset by the region's size first")
    else:
        raise Unsafe(f"load through a {kind.value} pointer", "this pointer does not point to memory")
    return load_result(size, signed)


def store(env: Env, state: State, p: Pointer, off: int, size: int, value: Scalar | Pointer) -> None:
    """Check (and, for the stack, perform) a ``size``-byte store of ``value`` at ``p + off``."""
    kind = p.kind
    _non_null(p)
    if kind is PtrKind.STACK:
        frame, lo, hi = stack_frame(state, p, off, size)
        if isinstance(value, Pointer):
            if lo + size != hi:
                raise Unsafe("pointer spilled to a variable stack offset", "spill to a fixed slot")
            if value.kind is PtrKind.STACK and value.frame > p.frame:
                raise Unsafe("pointer to a callee's stack stored in its caller's frame",
                             "a function's stack dies when it returns")
        try:
            if lo + size == hi:
                frame.write(lo, size, value)
            else:
                frame.clobber(lo, hi)
        except StackError as exc:
            raise Unsafe(f"stack store: {exc}", "spill pointers as 8 aligned bytes") from None
        return
    if isinstance(value, Pointer):
        if kind in (PtrKind.MAP_VALUE, PtrKind.FLOW, PtrKind.PFLOW):
            where = "the " + region(env, p)[0]
        else:
            where = {PtrKind.CTX: "the context", PtrKind.PACKET: "the packet"}.get(kind, kind.value)
        raise Unsafe(f"pointer ({value.kind.value}) stored into {where}, where others can read it",
                     "only numbers may leave the program; store an index or offset instead")
    if kind is PtrKind.CTX:
        const = p.const_off
        layout = env.hook.context
        fld = layout.field_at(const + off, size) if const is not None else None
        if fld is None or not fld.writable:
            name = f"field {layout.name}.{fld.name}" if fld else f"{layout.name} at that offset"
            raise Unsafe(f"write of {size} byte(s) to read-only context ({name})",
                         "the context is read-only except fields the profile marks writable")
        return
    if kind is PtrKind.PACKET:
        _check_packet(p, off, size)
    elif kind is PtrKind.PACKET_META:
        _check_meta(p, off, size)
    elif kind in (PtrKind.MAP_VALUE, PtrKind.FLOW):
        name, limit = region(env, p)
        _bounded(p, off, size, limit, name, "bound the offset by the region's size first")
        if kind is PtrKind.MAP_VALUE and env.map_of(p).read_only:
            raise Unsafe(f"write to the {name}, which is read-only to programs",
                         "the map was created with BPF_F_RDONLY_PROG (.rodata)")
    elif kind is PtrKind.PFLOW:
        raise Unsafe("write to the provider flow state, which is read-only",
                     "keep tenant data in the flow state (ctx->flow)")
    else:
        raise Unsafe(f"store through a {kind.value} pointer", "this pointer does not point to memory")


def check_range(env: Env, state: State, p: Pointer, size: int, write: bool) -> None:
    """A helper reads (or, ``write``, fills) up to ``size`` bytes at ``p``."""
    if size == 0:
        return
    kind = p.kind
    _non_null(p)
    if kind is PtrKind.STACK:
        frame, lo, hi = stack_frame(state, p, 0, size)
        try:
            if write:
                frame.clobber(lo, hi)
            else:
                frame.check_init(lo, hi)
        except StackError as exc:
            raise Unsafe(f"helper {exc}", "initialise the whole buffer before passing it") from None
        return
    if kind is PtrKind.CTX:
        raise Unsafe("the context passed as a memory buffer", "copy the fields to the stack first")
    if write:
        store(env, state, p, 0, size, Scalar.const(0))
    else:
        load(env, state, p, 0, size, False)

