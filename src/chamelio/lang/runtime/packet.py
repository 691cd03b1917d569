"""The packet view a handler gets from ``ctx.packet()``.

Every access must be covered by a bounds check that succeeded before it: ``pkt.has(n)``
covers bytes ``0 .. n-1``, ``pkt.has_at(off, n)`` covers ``off .. off+n-1`` (for offsets only
known at run time). In plain Python an uncovered access raises the
:class:`~chamelio.lang.types.LangTypeError` the compiler reports statically for the same code,
naming the check to add. Multi-byte loads come in both byte orders: ``be16(off)`` reads
network order and returns the host value.
"""

from __future__ import annotations

from typing import Any

from chamelio.lang import types as lt
from chamelio.lang.runtime import ints as _i
from chamelio.lang.runtime.ints import LangInt, typed
from chamelio.lang.runtime.structs import Ptr


def _offset(v: object, what: str = "offset") -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise lt.LangTypeError(f"a packet {what} must be an integer, not {type(v).__name__}")
    return int(v)


class Packet:
    """A view of the packet bytes (``data .. data_end``); writes change the packet."""

    __lang_type__ = lt.PACKET
    __slots__ = ("_buf", "_checked_end", "_ranges")

    def __init__(self, buf: bytearray) -> None:
        self._buf = buf
        self._checked_end = 0  # bytes 0 .. _checked_end-1 are covered
        self._ranges: list[tuple[int, int]] = []  # further covered [start, end) ranges

    # -- bounds checks ---------------------------------------------------------------------
    def has(self, n: object) -> bool:
        """Whether the packet has at least ``n`` bytes; if so, bytes ``0..n-1`` may be accessed."""
        end = _offset(n, "length")
        if end < 0 or end > len(self._buf):
            return False
        self._checked_end = max(self._checked_end, end)
        return True

    def has_at(self, off: object, n: object) -> bool:
        """Whether bytes ``off .. off+n-1`` exist; if so they may be accessed."""
        start, size = _offset(off), _offset(n, "length")
        if start < 0 or size < 0 or start + size > len(self._buf):
            return False
        if start + size <= self._checked_end:
            return True
        if start == 0:
            self._checked_end = max(self._checked_end, size)
        else:
            self._ranges.append((start, start + size))
        return True

    def len(self) -> _i.u32:
        """The packet's length in bytes (needs no check)."""
        return _i.u32(len(self._buf))

    def _covered(self, start: int, size: int) -> bool:
        end = start + size
        if start >= 0 and end <= self._checked_end:
            return True
        return any(s <= start and end <= e for s, e in self._ranges)

    def _check(self, off: object, size: int, what: str) -> int:
        start = _offset(off)
        if not self._covered(start, size):
            raise lt.unchecked_packet_access(start, size, what)
        return start

    # -- loads -----------------------------------------------------------------------------
    def _load(self, off: object, size: int, order: str) -> int:
        start = self._check(off, size, "read")
        return int.from_bytes(self._buf[start:start + size], order)  # type: ignore[arg-type]

    def u8(self, off: object) -> _i.u8:
        return _i.u8(self._load(off, 1, "big"))

    def be16(self, off: object) -> _i.u16:
        return _i.u16(self._load(off, 2, "big"))

    def be32(self, off: object) -> _i.u32:
        return _i.u32(self._load(off, 4, "big"))

    def be64(self, off: object) -> _i.u64:
        return _i.u64(self._load(off, 8, "big"))

    def le16(self, off: object) -> _i.u16:
        return _i.u16(self._load(off, 2, "little"))

    def le32(self, off: object) -> _i.u32:
        return _i.u32(self._load(off, 4, "little"))

    def le64(self, off: object) -> _i.u64:
        return _i.u64(self._load(off, 8, "little"))

    # -- stores ----------------------------------------------------------------------------
    def _store(self, off: object, t: lt.IntType, value: object, order: str) -> None:
        start = self._check(off, t.size, "write")
        v: LangInt = typed(t, value, f"packet {t.name} store")
        self._buf[start:start + t.size] = (int(v) & ((1 << t.bits) - 1)).to_bytes(
            t.size, order)  # type: ignore[arg-type]

    def store_u8(self, off: object, value: object) -> None:
        self._store(off, lt.U8, value, "big")

    def store_be16(self, off: object, value: object) -> None:
        self._store(off, lt.U16, value, "big")

    def store_be32(self, off: object, value: object) -> None:
        self._store(off, lt.U32, value, "big")

    def store_be64(self, off: object, value: object) -> None:
        self._store(off, lt.U64, value, "big")

    def store_le16(self, off: object, value: object) -> None:
        self._store(off, lt.U16, value, "little")

    def store_le32(self, off: object, value: object) -> None:
        self._store(off, lt.U32, value, "little")

    def store_le64(self, off: object, value: object) -> None:
        self._store(off, lt.U64, value, "little")

    # -- pointers into the packet ----------------------------------------------------------
    def view(self, t: Any, off: object) -> Ptr:
        """``Ptr[T]`` to a ``T`` (a @struct, an int type, an Array) stored at ``off``; its
        bytes must be covered. Fields read in host (little-endian) order, as C does."""
        target = lt.type_of_annotation(t)
        if target.size == 0 or isinstance(target, lt.PtrType):
            raise lt.LangTypeError(f"cannot view packet bytes as {target.name}")
        start = self._check(off, target.size, f"view as {target.name}")
        return Ptr(target, self._buf, start)

    def ptr(self, off: object) -> Ptr:
        """``Ptr[u8]`` to byte ``off`` (for helpers that take memory and a size); it reaches
        up to the end of the bounds check covering ``off``."""
        start = self._check(off, 1, "pointer")
        end = self._checked_end if start < self._checked_end else max(
            e for s, e in self._ranges if s <= start < e)
        return Ptr(lt.U8, self._buf, start, end)

    def to_bytes(self) -> bytes:
        """The packet as it is now (Python side; not part of the language)."""
        return bytes(self._buf)

    def __repr__(self) -> str:
        return f"<Packet {len(self._buf)} bytes, checked 0..{self._checked_end}>"
