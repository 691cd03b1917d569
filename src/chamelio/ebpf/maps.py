"""In-process eBPF maps with the kernel's semantics: array, hash and their per-CPU forms.

The operations return what the kernel's helpers return: :meth:`BpfMap.lookup` gives the
stored :class:`MapValue` or ``None`` (NULL), :meth:`BpfMap.update` and :meth:`BpfMap.delete`
give ``0`` or a negative errno, checked in the kernel's order:

- every map: flags other than ``BPF_ANY``/``BPF_NOEXIST``/``BPF_EXIST`` → ``-EINVAL``
  (``BPF_F_LOCK`` too: these maps hold no spin lock);
- array (key = little-endian u32 index): lookup out of range → NULL; update out of range →
  ``-E2BIG``; ``BPF_NOEXIST`` → ``-EEXIST`` (every entry exists); delete → ``-EINVAL``;
- hash: ``BPF_NOEXIST`` on an existing key → ``-EEXIST``; ``BPF_EXIST`` on a missing key →
  ``-ENOENT``; a new key when ``max_entries`` are stored → ``-E2BIG``; delete of a missing
  key → ``-ENOENT``.

Values live in stable :class:`MapValue` buffers: the interpreter hands out their address,
an update writes into the same buffer (so an earlier pointer sees the new bytes), and a
hash delete marks the buffer dead so that a later access through an old pointer traps.
Per-CPU maps keep one CPU's view (the interpreter runs on CPU 0).
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chamelio.abi.maptypes import BPF_ANY, BPF_EXIST, BPF_NOEXIST, MAP_TYPES, MapType
from chamelio.errors import ChamelioError

if TYPE_CHECKING:
    from chamelio.ebpf.elf.objfile import MapDef

BPF_F_LOCK = 4
BPF_F_RDONLY_PROG = 1 << 7  # the program may read, not write (.rodata)
BPF_F_WRONLY_PROG = 1 << 8
# The kernel's ceiling for a per-CPU value (PCPU_MIN_UNIT_SIZE) and a sane one for others.
MAX_PERCPU_VALUE = 32 * 1024
MAX_VALUE = 1 << 24
MAX_KEY = 512  # MAX_BPF_STACK: a key must fit on the stack

_VALID_FLAGS = (BPF_ANY, BPF_NOEXIST, BPF_EXIST)


class MapError(ChamelioError):
    """A map definition the kernel would refuse at creation (``BPF_MAP_CREATE``)."""


@dataclass(eq=False, slots=True)
class MapValue:
    """One stored value: a buffer of ``value_size`` bytes that keeps its identity.

    ``slot`` numbers the value within its map (the array index; for hash maps a counter that
    is never reused), so the interpreter can give every value its own address. ``live`` turns
    false when a hash entry is deleted.
    """

    data: bytearray
    slot: int
    live: bool = True


@dataclass(eq=False)
class BpfMap:
    """The common part of every map type; use :func:`create_map` to build one."""

    type: MapType
    key_size: int
    value_size: int
    max_entries: int
    flags: int = 0
    name: str = ""
    _slots: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        label = self.label
        if self.key_size <= 0 or self.key_size > MAX_KEY:
            raise MapError(f"{label}: key_size {self.key_size} must be in 1..{MAX_KEY}")
        limit = MAX_PERCPU_VALUE if MAP_TYPES[self.type].per_cpu else MAX_VALUE
        if self.value_size <= 0 or self.value_size > limit:
            raise MapError(f"{label}: value_size {self.value_size} must be in 1..{limit}")
        if self.max_entries <= 0 or self.max_entries >= 1 << 32:
            raise MapError(f"{label}: max_entries {self.max_entries} must be in 1..2**32-1")

    # -- description ----------------------------------------------------------------------
    @property
    def label(self) -> str:
        kind = MAP_TYPES[self.type].name
        return f"{kind} map {self.name!r}" if self.name else f"{kind} map"

    @property
    def prog_writable(self) -> bool:
        """False for maps a program may only read (``BPF_F_RDONLY_PROG``, e.g. ``.rodata``)."""
        return not self.flags & BPF_F_RDONLY_PROG

    # -- the kernel's operations (overridden) ---------------------------------------------
    def lookup(self, key: bytes) -> MapValue | None:
        raise NotImplementedError

    def update(self, key: bytes, value: bytes, flags: int = BPF_ANY) -> int:
        raise NotImplementedError

    def delete(self, key: bytes) -> int:
        raise NotImplementedError

    def next_key(self, key: bytes | None) -> bytes | None:
        """The key after ``key`` (the first key for ``None`` or a missing key), or ``None``."""
        raise NotImplementedError

    # -- conveniences ---------------------------------------------------------------------
    def keys(self) -> Iterator[bytes]:
        key = self.next_key(None)
        while key is not None:
            yield key
            key = self.next_key(key)

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        for key in list(self.keys()):
            found = self.lookup(key)
            if found is not None:
                yield key, bytes(found.data)

    def get(self, key: bytes) -> bytes | None:
        """A copy of the value under ``key``, or ``None``."""
        found = self.lookup(key)
        return None if found is None else bytes(found.data)

    def _check_sizes(self, key: bytes, value: bytes | None = None) -> None:
        if len(key) != self.key_size:
            raise MapError(f"{self.label}: key is {len(key)} bytes, key_size is {self.key_size}")
        if value is not None and len(value) != self.value_size:
            raise MapError(
                f"{self.label}: value is {len(value)} bytes, value_size is {self.value_size}"
            )

    def _new_slot(self) -> int:
        slot = self._slots
        self._slots += 1
        return slot


class ArrayMap(BpfMap):
    """``BPF_MAP_TYPE_ARRAY`` (and one CPU's view of ``PERCPU_ARRAY``): zeroed, preallocated
    entries indexed by a u32 key; entries are materialised on first touch."""

    def __init__(
        self,
        key_size: int,
        value_size: int,
        max_entries: int,
        flags: int = 0,
        name: str = "",
        *,
        per_cpu: bool = False,
        initial: bytes | None = None,
    ) -> None:
        super().__init__(
            MapType.PERCPU_ARRAY if per_cpu else MapType.ARRAY,
            key_size, value_size, max_entries, flags, name,
        )  # fmt: skip
        if key_size != 4:
            raise MapError(f"{self.label}: an array's key_size must be 4 (a u32 index), not {key_size}")
        self._values: dict[int, MapValue] = {}
        if initial is not None:
            if len(initial) > value_size:
                raise MapError(
                    f"{self.label}: initial data is {len(initial)} bytes, value_size is {value_size}"
                )
            self._values[0] = MapValue(bytearray(initial.ljust(value_size, b"\0")), 0)

    def index(self, key: bytes) -> int:
        return int.from_bytes(key[:4], "little")

    def entry(self, index: int) -> MapValue:
        """The value at ``index`` (which must be < max_entries)."""
        found = self._values.get(index)
        if found is None:
            found = self._values[index] = MapValue(bytearray(self.value_size), index)
        return found

    def lookup(self, key: bytes) -> MapValue | None:
        self._check_sizes(key)
        index = self.index(key)
        return self.entry(index) if index < self.max_entries else None

    def update(self, key: bytes, value: bytes, flags: int = BPF_ANY) -> int:
        self._check_sizes(key, value)
        if flags not in _VALID_FLAGS:
            return -errno.EINVAL
        index = self.index(key)
        if index >= self.max_entries:
            return -errno.E2BIG
        if flags == BPF_NOEXIST:
            return -errno.EEXIST
        self.entry(index).data[:] = value
        return 0

    def delete(self, key: bytes) -> int:
        self._check_sizes(key)
        return -errno.EINVAL

    def next_key(self, key: bytes | None) -> bytes | None:
        index = 0 if key is None else self.index(key) + 1
        if key is not None and self.index(key) >= self.max_entries:
            index = 0
        return index.to_bytes(4, "little") if index < self.max_entries else None


class HashMap(BpfMap):
    """``BPF_MAP_TYPE_HASH`` (and one CPU's view of ``PERCPU_HASH``); iteration follows
    insertion order."""

    def __init__(
        self,
        key_size: int,
        value_size: int,
        max_entries: int,
        flags: int = 0,
        name: str = "",
        *,
        per_cpu: bool = False,
    ) -> None:
        super().__init__(
            MapType.PERCPU_HASH if per_cpu else MapType.HASH,
            key_size, value_size, max_entries, flags, name,
        )  # fmt: skip
        self._entries: dict[bytes, MapValue] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, key: bytes) -> MapValue | None:
        self._check_sizes(key)
        return self._entries.get(bytes(key))

    def update(self, key: bytes, value: bytes, flags: int = BPF_ANY) -> int:
        self._check_sizes(key, value)
        if flags not in _VALID_FLAGS:
            return -errno.EINVAL
        key = bytes(key)
        old = self._entries.get(key)
        if old is not None and flags == BPF_NOEXIST:
            return -errno.EEXIST
        if old is None and flags == BPF_EXIST:
            return -errno.ENOENT
        if old is not None:
            old.data[:] = value
            return 0
        if len(self._entries) >= self.max_entries:
            return -errno.E2BIG
        self._entries[key] = MapValue(bytearray(value), self._new_slot())
        return 0

    def delete(self, key: bytes) -> int:
        self._check_sizes(key)
        old = self._entries.pop(bytes(key), None)
        if old is None:
            return -errno.ENOENT
        old.live = False
        return 0

    def next_key(self, key: bytes | None) -> bytes | None:
        keys = list(self._entries)
        if key is None or bytes(key) not in self._entries:
            return keys[0] if keys else None
        at = keys.index(bytes(key)) + 1
        return keys[at] if at < len(keys) else None


def create_map(
    map_type: int | str | MapType,
    key_size: int,
    value_size: int,
    max_entries: int,
    flags: int = 0,
    name: str = "",
    initial: bytes | None = None,
) -> BpfMap:
    """A map of ``map_type`` (kernel number, :class:`MapType` or name such as ``"hash"``)."""
    kind = _map_type(map_type, name)
    if initial is not None and kind not in (MapType.ARRAY, MapType.PERCPU_ARRAY):
        raise MapError(f"map {name!r}: only array maps take initial data")
    if kind in (MapType.ARRAY, MapType.PERCPU_ARRAY):
        return ArrayMap(key_size, value_size, max_entries, flags, name,
                        per_cpu=kind is MapType.PERCPU_ARRAY, initial=initial)  # fmt: skip
    return HashMap(key_size, value_size, max_entries, flags, name,
                   per_cpu=kind is MapType.PERCPU_HASH)  # fmt: skip


def _map_type(map_type: int | str | MapType, name: str) -> MapType:
    supported = ", ".join(f"{i.name} ({int(t)})" for t, i in MAP_TYPES.items())
    if isinstance(map_type, str):
        for t, info in MAP_TYPES.items():
            if info.name == map_type:
                return t
        raise MapError(f"map {name!r}: unknown map type {map_type!r}", hint=f"supported: {supported}")
    try:
        return MapType(map_type)
    except ValueError:
        raise MapError(
            f"map {name!r}: map type {map_type} is not supported by the interpreter",
            hint=f"supported: {supported}",
        ) from None


def map_from_def(definition: MapDef) -> BpfMap:
    """The map an ELF object declares (global-data maps start with their section's bytes)."""
    return create_map(definition.type, definition.key_size, definition.value_size,
                      definition.max_entries, definition.flags, definition.name,
                      definition.initial)  # fmt: skip
