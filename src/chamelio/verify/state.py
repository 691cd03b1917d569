"""The abstract machine state: registers, call frames (their stacks: :mod:`.stack`), the
links between scalar registers, and subsumption.

``old.covers(new)`` is the pruning test: every execution from ``new`` is one from ``old``
(registers and bytes that ``old`` leaves uninitialised were never read from it, since its
exploration succeeded, so they may hold anything in ``new``).
"""

from __future__ import annotations

from collections.abc import Callable

from chamelio.ebpf import isa
from chamelio.verify.scalar import Scalar
from chamelio.verify.stack import (
    INVALID,
    MISC,
    SLOTS,
    Frame,
    Slot,
    StackError,
    slot_view,
)
from chamelio.verify.values import NOT_INIT, U64, NotInit, Pointer, PtrKind, Value

Link = tuple[int, int]  # (scalar id, form): see State


class State:
    """Registers of the innermost frame, plus every frame's stack and saved registers.

    ``links[r]`` relates scalar registers that hold the same value: ``(sid, IDENTITY)`` on
    every register holding the value ``sid`` names, ``(sid, SHIFTED)`` on one holding it
    shifted left by 32 (the first half of clang's ``<<= 32; >>= 32`` zero extension). A
    comparison that narrows one register narrows its copies. ``dist[sid] = (id, fixed)``
    records that the value is ``data_end - (packet base id + fixed)``, a packet length.
    """

    __slots__ = ("dist", "frames", "links", "regs")

    def __init__(self, regs: list[Value], frames: list[Frame], links: list[Link | None] | None = None,
                 dist: dict[int, tuple[int, int]] | None = None) -> None:  # fmt: skip
        self.regs = regs
        self.frames = frames
        self.links: list[Link | None] = links if links is not None else [None] * 11
        self.dist: dict[int, tuple[int, int]] = dist if dist is not None else {}

    @property
    def depth(self) -> int:
        return len(self.frames) - 1

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    def copy(self) -> State:
        return State(self.regs.copy(), [f.copy() for f in self.frames], self.links.copy(),
                     self.dist.copy())  # fmt: skip

    def packet_range(self) -> int:
        """The packet bytes proven from ``data``, as the live packet pointers know them."""
        best = 0
        for v in self.regs:
            if isinstance(v, Pointer) and v.kind is PtrKind.PACKET and v.id == 0 and v.range > best:
                best = v.range
        for frame in self.frames:
            for slot in frame.stack:
                if (isinstance(slot, Pointer) and slot.kind is PtrKind.PACKET and slot.id == 0
                        and slot.range > best):  # fmt: skip
                    best = slot.range
        return best

    def clean(self, live: int, frame_live: list[int]) -> None:
        """Forget registers that are dead: ``live`` for this frame's r0..r9, ``frame_live[k]``
        for the r6..r9 that frame ``k + 1`` saved for its caller."""
        regs = self.regs
        links = self.links
        for r in range(10):
            if not live >> r & 1:
                regs[r] = NOT_INIT
                links[r] = None
        self.tidy_links()
        for k, frame in enumerate(self.frames[1:]):
            mask = frame_live[k]
            if any(not mask >> (6 + r) & 1 for r in range(4)):
                frame.saved = tuple(v if mask >> (6 + r) & 1 else NOT_INIT
                                    for r, v in enumerate(frame.saved))  # fmt: skip

    def tidy_links(self) -> None:
        """Drop links that relate nothing (a value in one register, without a distance)."""
        links = self.links
        if not any(links):
            if self.dist:
                self.dist = {}
            return
        uses: dict[int, int] = {}
        for link in links:
            if link is not None:
                uses[link[0]] = uses.get(link[0], 0) + 1
        dist = self.dist
        for r, link in enumerate(links):
            if link is not None and uses[link[0]] < 2 and (link[1] or link[0] not in dist):
                links[r] = None
                uses[link[0]] -= 1
        if dist:
            self.dist = {sid: d for sid, d in dist.items() if uses.get(sid)}

    def link_copy(self, dst: int, src: int, new_id: Callable[[], int]) -> None:
        """``dst`` now holds the value of ``src`` (a 64-bit register copy)."""
        link = self.links[src]
        if link is None:
            link = self.links[src] = (new_id(), IDENTITY)
        self.links[dst] = link

    def narrow(self, r: int, value: Scalar) -> None:
        """Register ``r`` was narrowed to ``value``: so are its copies of the same form."""
        self.regs[r] = value
        link = self.links[r]
        if link is not None:
            for other, l2 in enumerate(self.links):
                if l2 == link:
                    self.regs[other] = value

    def key(self) -> tuple[object, ...]:
        """A hashable summary; equal keys mean equal states."""
        return (tuple(self.regs), tuple(self.links), tuple(sorted(self.dist.items())),
                tuple((f.callsite, f.saved, tuple(f.stack)) for f in self.frames))  # fmt: skip

    def shape(self) -> tuple[int, int, int]:
        """(initialised registers, their kinds as nibbles, the nibble mask of the former): a
        quick necessary condition for ``covers`` (see :func:`shapes_fit`)."""
        init = kinds = mask = 0
        for r, v in enumerate(self.regs):
            t = type(v)
            if t is NotInit:
                continue
            init |= 1 << r
            code = 1 if t is Scalar else 2 + _KIND_CODES[v.kind]  # type: ignore[union-attr]
            kinds |= code << (4 * r)
            mask |= 0xF << (4 * r)
        return init, kinds, mask

    def exact(self) -> tuple[int, tuple[object, ...]]:
        """(mask, values): the registers holding one exact value (a constant, or a pointer
        at a constant offset) and those values, one per register (None elsewhere). A state
        covers another only if the other holds the same exact values there."""
        mask = 0
        prints: list[object] = []
        for r, v in enumerate(self.regs):
            fp = _exact(v)
            if fp is not None:
                mask |= 1 << r
            prints.append(fp)
        return mask, tuple(prints)

    def covers(self, new: State) -> bool:
        """Whether every execution from ``new`` is an execution from ``self``."""
        return self.mismatch(new) < 0

    def mismatch(self, new: State, first: int = 0) -> int:
        """-1 when ``self`` covers ``new``; else what fails: a register (0..10), the frames or
        saved registers (:data:`NO_FRAMES`), or stack slot ``i`` of frame ``d`` (``SLOT0 +
        64 * d + i``). ``first`` (a failure code) is compared first: what failed last time."""
        frames_o, frames_n = self.frames, new.frames
        if len(frames_o) != len(frames_n):
            return NO_FRAMES
        for fo, fn in zip(frames_o, frames_n, strict=True):
            if fo.callsite != fn.callsite:
                return NO_FRAMES
        ids: dict[int, int] = {}
        rev: dict[int, int] = {}
        regs_o, regs_n = self.regs, new.regs
        if first < NO_FRAMES:
            if not value_covers(regs_o[first], regs_n[first], ids, rev):
                return first
        elif first >= SLOT0:
            d, i = divmod(first - SLOT0, SLOTS)
            if d < len(frames_o):
                x, y = frames_o[d].stack[i], frames_n[d].stack[i]
                if x is not y and x is not None and not slot_covers(x, y, {}, {}):
                    return first
        for r in range(11):
            a, b = regs_o[r], regs_n[r]
            if a is b:
                continue
            ta = type(a)
            if ta is NotInit:
                continue
            if ta is Scalar:
                if type(b) is not Scalar or not a.covers(b):  # type: ignore[union-attr]
                    return r
            elif not value_covers(a, b, ids, rev):
                return r
        if any(self.links):
            failed = self._links_mismatch(new, ids, rev)
            if failed >= 0:
                return failed
        for d, (fo, fn) in enumerate(zip(frames_o, frames_n, strict=True)):
            for a, b in zip(fo.saved, fn.saved, strict=True):
                if a is not b and not value_covers(a, b, ids, rev):
                    return NO_FRAMES
            for i, (x, y) in enumerate(zip(fo.stack, fn.stack, strict=True)):
                if x is not y and x is not None and not slot_covers(x, y, ids, rev):
                    return SLOT0 + SLOTS * d + i
        return -1


    def _links_mismatch(self, new: State, ids: dict[int, int], rev: dict[int, int]) -> int:
        """The first register whose relation to others (or to data_end) in ``self`` does not
        hold in ``new``, or -1."""
        for r, a in enumerate(self.links):
            if a is None:
                continue
            b = new.links[r]
            if b is None or a[1] != b[1] or not _same_id(a[0], b[0], ids, rev):
                return r
            da = self.dist.get(a[0])
            if da is not None:
                db = new.dist.get(b[0])
                if db is None or da[1] != db[1] or not _same_id(da[0], db[0], ids, rev):
                    return r
        return -1


IDENTITY = 0
SHIFTED = 1
NO_FRAMES = 11
SLOT0 = 16
_KIND_CODES = {kind: i for i, kind in enumerate(PtrKind)}


def _exact(v: Value) -> object:
    """The one value ``v`` stands for (a constant, a pointer kind and constant offset), or
    None."""
    t = type(v)
    if t is Scalar:
        return v.var.value if v.var.mask == 0 else None  # type: ignore[union-attr]
    if t is Pointer and v.off.var.mask == 0:  # type: ignore[union-attr]
        return (v.kind, v.off.var.value)  # type: ignore[union-attr]
    return None


def shapes_fit(old: tuple[int, int, int], new: tuple[int, int, int]) -> bool:
    """Whether a state of shape ``old`` may cover one of shape ``new``: old's initialised
    registers are initialised in new, with the same kinds."""
    return not old[0] & ~new[0] and not (old[1] ^ new[1]) & old[2]


def _same_id(a: int, b: int, ids: dict[int, int], rev: dict[int, int]) -> bool:
    seen = ids.get(a)
    if seen is None:
        if b in rev:
            return False
        ids[a] = b
        rev[b] = a
        return True
    return seen == b


def value_covers(a: Value, b: Value, ids: dict[int, int], rev: dict[int, int]) -> bool:
    if a is b or isinstance(a, NotInit):
        return True
    if isinstance(a, Scalar):
        return isinstance(b, Scalar) and a.covers(b)
    if not isinstance(b, Pointer):
        return False
    assert isinstance(a, Pointer)
    if (a.kind is not b.kind or a.frame != b.frame or a.map_index != b.map_index
            or a.nullable != b.nullable):  # fmt: skip
        return False
    if a.kind is PtrKind.PACKET or a.kind is PtrKind.PACKET_META:
        if a.fixed != b.fixed or a.range > b.range or not _same_id(a.id, b.id, ids, rev):
            return False
    elif a.nullable and not _same_id(a.id, b.id, ids, rev):
        return False
    return a.off is b.off or a.off.covers(b.off)


def slot_covers(a: Slot, b: Slot, ids: dict[int, int], rev: dict[int, int]) -> bool:
    if a is None:
        return True
    if isinstance(a, Pointer):
        return isinstance(b, Pointer) and value_covers(a, b, ids, rev)
    if isinstance(a, Scalar):
        if isinstance(b, Scalar):
            return a.covers(b)
        if isinstance(b, Pointer) or b is None:
            return False
        # b is a byte tuple (not all known, or it would be a constant)
        if INVALID in b:
            return False
        return a.covers(Scalar.unknown())
    va = a
    vb = slot_view(b)
    for x, y in zip(va, vb, strict=True):
        if x in (INVALID, y) or (x == MISC and (y >= 0 or y == MISC)):
            continue
        return False
    return True


def entry_state(ctx: Pointer) -> State:
    regs: list[Value] = [NOT_INIT] * isa.NUM_REGS
    regs[1] = ctx
    regs[10] = Pointer(PtrKind.STACK, Scalar.const(0))
    return State(regs, [Frame(-1, ())])




def update_pointers(state: State, fn: Callable[[Pointer], Value]) -> None:
    """Replace every pointer ``p`` in registers, saved registers and spills by ``fn(p)``."""
    regs = state.regs
    for r, v in enumerate(regs):
        if isinstance(v, Pointer):
            regs[r] = fn(v)
    for frame in state.frames:
        if any(isinstance(v, Pointer) for v in frame.saved):
            frame.saved = tuple(fn(v) if isinstance(v, Pointer) else v for v in frame.saved)
        stack = frame.stack
        for i, slot in enumerate(stack):
            if isinstance(slot, Pointer):
                new = fn(slot)
                stack[i] = new if isinstance(new, Pointer | Scalar) else None


__all__ = ["INVALID", "MISC", "U64", "Frame", "Slot", "StackError", "State", "entry_state",
           "update_pointers"]
