"""Helper calls: each argument checked against its :class:`~chamelio.abi.ArgKind`, the
memory it names checked against its region, r0 set from the :class:`~chamelio.abi.RetKind`,
r1..r5 clobbered, and the call's worst-case cost from the size argument's bound."""

from __future__ import annotations

from chamelio.abi import HELPERS, ArgKind, Helper, RetKind
from chamelio.verify.checks import (
    DELETABLE_MAP_TYPES,
    MAX_VAR_OFF,
    VALUE_MAP_TYPES,
    Env,
    MapInfo,
    Unsafe,
    check_range,
)
from chamelio.verify.scalar import Scalar
from chamelio.verify.state import IDENTITY, State, update_pointers
from chamelio.verify.values import NOT_INIT, NotInit, Pointer, PtrKind, Value, format_value

MEMORY_ARGS = (ArgKind.PTR_TO_MEM, ArgKind.PTR_TO_UNINIT_MEM)
SIZE_ARGS = (ArgKind.CONST_SIZE, ArgKind.CONST_SIZE_OR_ZERO)
# Helpers whose integer result is known to be narrower than 64 bits.
_U32_RESULT = frozenset({7, 8})
_MAP_WRITERS = frozenset({2, 3})  # map_update_elem, map_delete_elem
_MAP_DELETE = 3
_USER_PTR_KINDS = frozenset({PtrKind.STACK, PtrKind.PACKET, PtrKind.PACKET_META,
                             PtrKind.MAP_VALUE, PtrKind.FLOW, PtrKind.PFLOW})  # fmt: skip


def _arg(h: Helper, i: int) -> str:
    return f"r{i + 1} (argument {i + 1} of {h.name}, {h.args[i].value})"


def _size_of(h: Helper, i: int, v: Value) -> Scalar:
    kind = h.args[i]
    if not isinstance(v, Scalar):
        raise Unsafe(f"{_arg(h, i)} is {format_value(v)}, not a number",
                     "pass the size of the buffer")
    if v.smin < 0 or v.umax > MAX_VAR_OFF:
        raise Unsafe(f"{_arg(h, i)} is not bounded: {format_value(v)}",
                     "bound the size with a comparison before the call")
    if kind is ArgKind.CONST_SIZE and v.umin == 0:
        raise Unsafe(f"{_arg(h, i)} may be zero: {format_value(v)}",
                     "this helper needs a size of at least 1")
    return v


def _memory(env: Env, state: State, h: Helper, i: int, v: Value, size: int, write: bool) -> None:
    if isinstance(v, Scalar):
        if size == 0 and v.is_const() and v.const_value() == 0:
            return  # NULL with size 0: the helper reads nothing
        raise Unsafe(f"{_arg(h, i)} is a number, not a pointer to memory",
                     "pass a pointer to the stack, the packet or a map value")
    assert isinstance(v, Pointer)
    if v.kind not in _USER_PTR_KINDS:
        raise Unsafe(f"{_arg(h, i)} is {format_value(v)}, not a pointer to memory",
                     "pass a pointer to the stack, the packet or a map value")
    try:
        check_range(env, state, v, size, write)
    except Unsafe as exc:
        raise Unsafe(f"{_arg(h, i)}: {exc.message}", exc.hint) from None


def _up_to_end(state: State, p: Value, size_reg: int) -> bool:
    """Whether the size in ``size_reg`` is exactly ``data_end - p`` for the packet pointer
    ``p`` (so ``[p, p + size)`` ends at the packet's end)."""
    link = state.links[size_reg]
    if link is None or link[1] != IDENTITY or not isinstance(p, Pointer):
        return False
    dist = state.dist.get(link[0])
    return (dist is not None and p.kind is PtrKind.PACKET and not p.nullable
            and dist == (p.id, p.fixed) and p.off.smin >= 0)  # fmt: skip


def call_helper(env: Env, state: State, helper_id: int) -> int:
    """Check a call of helper ``helper_id`` and apply its effect; returns its worst cost."""
    h = HELPERS.get(helper_id)
    if h is None or not env.hook.allows(helper_id):
        name = f"helper {h.name} ({helper_id})" if h else f"unknown helper {helper_id}"
        allowed = ", ".join(x.name for x in env.hook.helpers)
        raise Unsafe(f"{name} is not allowed in {env.hook.name}", f"allowed helpers: {allowed}")
    regs = state.regs
    the_map: MapInfo | None = None
    map_index = -1
    sizes: list[int] = []  # the bounds of the size arguments
    for i, kind in enumerate(h.args):
        v = regs[i + 1]
        if isinstance(v, NotInit):
            raise Unsafe(f"{_arg(h, i)} is not initialised", "set every argument before the call")
        if kind is ArgKind.ANYTHING:
            if not isinstance(v, Scalar):
                raise Unsafe(f"{_arg(h, i)} is {format_value(v)}; a pointer may not be passed here",
                             "pass a number")
        elif kind is ArgKind.CONST_MAP_PTR:
            if not isinstance(v, Pointer) or v.kind is not PtrKind.MAP_PTR:
                raise Unsafe(f"{_arg(h, i)} is {format_value(v)}, not a map",
                             "load the map with lddw (a map reference)")
            map_index = v.map_index
            the_map = env.maps[map_index]
            if the_map.type not in VALUE_MAP_TYPES:
                raise Unsafe(f"{h.name} on {the_map.label} of type {the_map.type}, which is not "
                             "supported", "use a hash or array map")
            if helper_id in _MAP_WRITERS and the_map.read_only:
                raise Unsafe(f"{h.name} on {the_map.label}, which is read-only to programs",
                             "the map was created with BPF_F_RDONLY_PROG")
        elif kind in (ArgKind.PTR_TO_MAP_KEY, ArgKind.PTR_TO_MAP_VALUE):
            assert the_map is not None  # the map argument comes first in every signature
            nbytes = the_map.key_size if kind is ArgKind.PTR_TO_MAP_KEY else the_map.value_size
            _memory(env, state, h, i, v, nbytes, False)
        elif kind is ArgKind.PTR_TO_CTX:
            if not isinstance(v, Pointer) or v.kind is not PtrKind.CTX or v.const_off != 0:
                raise Unsafe(f"{_arg(h, i)} is {format_value(v)}, not the context",
                             "pass the context pointer the program received in r1")
        elif kind in MEMORY_ARGS:
            size = _size_of(h, i + 1, regs[i + 2])
            if not _up_to_end(state, v, i + 2):
                _memory(env, state, h, i, v, size.umax, kind is ArgKind.PTR_TO_UNINIT_MEM)
        elif kind in SIZE_ARGS:
            sizes.append(_size_of(h, i, v).umax)
    if h.ret is RetKind.INTEGER:
        r0: Value = Scalar.range(0, 0xFFFF_FFFF) if helper_id in _U32_RESULT else Scalar.unknown()
    elif h.ret is RetKind.PTR_TO_MAP_VALUE_OR_NULL:
        r0 = Pointer(PtrKind.MAP_VALUE, Scalar.const(0), env.new_id(), map_index=map_index,
                     nullable=True)  # fmt: skip
    else:
        r0 = NOT_INIT
    regs[0] = r0
    for r in range(1, 6):
        regs[r] = NOT_INIT
    for r in range(6):
        state.links[r] = None
    if helper_id == _MAP_DELETE and the_map is not None and the_map.type in DELETABLE_MAP_TYPES:
        _invalidate_values(state, map_index, the_map)
    if h.size_arg is None or not sizes:
        return h.worst_cost()
    # every size argument's bytes cost (csum_diff reads both of its buffers)
    return h.cost + sum(h.worst_cost(bound) - h.cost for bound in sizes)


def _invalidate_values(state: State, map_index: int, the_map: MapInfo) -> None:
    """A delete may free the entry any value pointer of the map points to."""
    dead = NotInit(f"map_delete_elem on {the_map.label}, which may have freed the entry it "
                   "points to")

    def kill(p: Pointer) -> Value:
        return dead if p.kind is PtrKind.MAP_VALUE and p.map_index == map_index else p

    update_pointers(state, kill)
