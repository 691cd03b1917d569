"""One call frame's 512-byte stack: 64 eight-byte slots of spilled values or byte states.

A slot is ``None`` (never written), a *spilled* value (an 8-byte aligned store of a register:
a :class:`Scalar` or a :class:`Pointer`), or a tuple of 8 byte states: a known byte value
``0..255``, ``MISC`` (written, value unknown) or ``INVALID`` (never written). Byte 0 is the
lowest address. Reads of uninitialised bytes, and of the bytes of a spilled pointer as a
number, raise :class:`StackError`.
"""

from __future__ import annotations

from chamelio.ebpf import isa
from chamelio.verify.scalar import Scalar, alu, load_result, movsx
from chamelio.verify.values import Pointer, Value

INVALID = -1
MISC = -2
PTR_BYTE = -3  # a byte of a spilled pointer (in byte views only, never stored)
SLOTS = isa.STACK_SIZE // 8

Slot = Scalar | Pointer | tuple[int, ...] | None
_INVALID8 = (INVALID,) * 8


class StackError(Exception):
    """An invalid stack access (the message says why)."""


def scalar_bytes(s: Scalar) -> tuple[int, ...]:
    value, mask = s.var.value, s.var.mask
    return tuple(MISC if (mask >> (8 * k)) & 0xFF else (value >> (8 * k)) & 0xFF for k in range(8))


def slot_view(slot: Slot) -> tuple[int, ...]:
    if slot is None:
        return _INVALID8
    if isinstance(slot, tuple):
        return slot
    if isinstance(slot, Pointer):
        return (PTR_BYTE,) * 8
    return scalar_bytes(slot)


def _normalise(view: list[int]) -> Slot:
    if all(b >= 0 for b in view):
        return Scalar.const(int.from_bytes(bytes(view), "little"))
    if all(b == INVALID for b in view):
        return None
    return tuple(view)


def _slot_index(addr: int) -> tuple[int, int]:
    """(slot, byte within the slot) of the stack byte at ``addr`` (negative)."""
    i = (-addr - 1) // 8
    return i, addr + 8 * (i + 1)


class Frame:
    __slots__ = ("callsite", "saved", "stack")

    def __init__(self, callsite: int, saved: tuple[Value, ...], stack: list[Slot] | None = None) -> None:
        self.callsite = callsite  # pc of the call that created the frame (-1: the entry)
        self.saved = saved  # the caller's r6..r9, restored by exit
        self.stack: list[Slot] = stack if stack is not None else [None] * SLOTS

    def copy(self) -> Frame:
        return Frame(self.callsite, self.saved, self.stack.copy())

    # ----------------------------------------------------------------- constant offsets
    def read(self, addr: int, size: int, signed: bool = False) -> Scalar | Pointer:
        """The value of the ``size`` bytes at ``addr`` (an offset from the frame's top)."""
        i, j = _slot_index(addr)
        if size == 8 and j == 0:
            slot = self.stack[i]
            if isinstance(slot, Pointer | Scalar):
                return slot
        views: dict[int, tuple[int, ...]] = {}
        out: list[int] = []
        for a in range(addr, addr + size):
            si, sj = _slot_index(a)
            view = views.get(si)
            if view is None:
                view = views[si] = slot_view(self.stack[si])
            out.append(view[sj])
        if INVALID in out:
            first = addr + out.index(INVALID)
            raise StackError(f"reads uninitialised stack at fp{first:+d}")
        if PTR_BYTE in out:
            raise StackError("reads part of a spilled pointer (its bytes are not a number)")
        if MISC not in out:
            result = Scalar.const(int.from_bytes(bytes(out), "little"))
        else:
            slot = self.stack[i]
            if len(views) == 1 and isinstance(slot, Scalar):
                shifted = alu(isa.BPF_RSH, slot, Scalar.const(8 * j), True) if j else slot
                result = shifted.cast(size)
            else:
                return load_result(size, signed)
        if signed and size < 8:
            return movsx(result, 8 * size, True)
        return result

    def write(self, addr: int, size: int, value: Scalar | Pointer) -> None:
        i, j = _slot_index(addr)
        if size == 8 and j == 0:
            self.stack[i] = value
            return
        if isinstance(value, Pointer):
            what = f"{size} of its bytes" if size < 8 else "not in one aligned 8-byte slot"
            raise StackError(f"a pointer stored at fp{addr:+d}, {what}")
        data = scalar_bytes(value)
        a = addr
        while a < addr + size:
            si, sj = _slot_index(a)
            view = [INVALID if b == PTR_BYTE else b for b in slot_view(self.stack[si])]
            while sj < 8 and a < addr + size:
                view[sj] = data[a - addr]
                sj += 1
                a += 1
            self.stack[si] = _normalise(view)

    # ----------------------------------------------------------------- variable offsets
    def check_init(self, lo: int, hi: int) -> None:
        """Every byte of ``[lo, hi)`` is initialised and not part of a pointer."""
        for a in range(lo, hi):
            si, sj = _slot_index(a)
            b = slot_view(self.stack[si])[sj]
            if b == INVALID:
                raise StackError(f"reads uninitialised stack at fp{a:+d}")
            if b == PTR_BYTE:
                raise StackError(f"reads the bytes of a spilled pointer at fp{a:+d}")

    def clobber(self, lo: int, hi: int) -> None:
        """Bytes of ``[lo, hi)`` may have been overwritten with unknown numbers (or not)."""
        touched = {(-a - 1) // 8 for a in range(lo, hi)}
        for si in touched:
            base = -8 * (si + 1)
            view = list(slot_view(self.stack[si]))
            for sj in range(8):
                b = view[sj]
                if b == PTR_BYTE:
                    view[sj] = INVALID
                elif b != INVALID and lo <= base + sj < hi:
                    view[sj] = MISC
            self.stack[si] = _normalise(view)
