"""Kernel maps: ``BPF_MAP_CREATE`` and the element commands, with the kernel's own semantics.

Per-CPU maps hold one value per *possible* CPU; the kernel reads and writes them as one
buffer of ``round_up(value_size, 8) * possible_cpus()`` bytes, which :meth:`KernelMap.lookup`
returns as is and :meth:`KernelMap.lookup_percpu` splits.
"""

from __future__ import annotations

import errno
import functools
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from chamelio.ebpf.kernel.constants import (
    ARRAY_MAP_TYPES,
    BPF_EXIST,
    BPF_F_LOCK,
    BPF_OBJ_NAME_LEN,
    PERCPU_MAP_TYPES,
    Cmd,
    map_type_name,
    map_type_of,
)
from chamelio.ebpf.kernel.errors import KernelError, MapFullError, MapKeyError
from chamelio.ebpf.kernel.fdobject import FdObject
from chamelio.ebpf.kernel.syscall import Attr, Buffer, bpf, fail

_NAME_RE = re.compile(r"[A-Za-z0-9_.]*")
_POSSIBLE_CPUS = Path("/sys/devices/system/cpu/possible")


def check_object_name(kind: str, name: str) -> str:
    """Refuse names the kernel would refuse: up to 15 of ``[A-Za-z0-9_.]``."""
    if len(name) >= BPF_OBJ_NAME_LEN or not _NAME_RE.fullmatch(name):
        raise KernelError(
            f"invalid {kind} name {name!r}",
            hint=f"the kernel takes at most {BPF_OBJ_NAME_LEN - 1} characters of [A-Za-z0-9_.]",
        )
    return name


@functools.cache
def possible_cpus() -> int:
    """How many CPUs the kernel may ever bring up (the slots of a per-CPU map value)."""
    try:
        text = _POSSIBLE_CPUS.read_text().strip()
    except OSError:
        return os.cpu_count() or 1
    count = 0
    for part in text.split(","):
        low, _, high = part.partition("-")
        count += (int(high) - int(low) + 1) if high else 1
    return max(count, 1)


def _hex(data: bytes) -> str:
    return data.hex() if data else "(empty)"


class KernelMap(FdObject):
    """A map living in the kernel, owned through its file descriptor.

    Create one with :meth:`create`; close it with :meth:`close` or a ``with`` block (the
    garbage collector closes a forgotten one as a fallback).
    """

    def __init__(
        self,
        fd: int,
        map_type: int,
        key_size: int,
        value_size: int,
        max_entries: int,
        flags: int = 0,
        name: str = "",
    ) -> None:
        self._fd = fd
        self.map_type = map_type
        self.key_size = key_size
        self.value_size = value_size
        self.max_entries = max_entries
        self.flags = flags
        self.name = name
        self.percpu = map_type in PERCPU_MAP_TYPES
        # Bytes the kernel copies for one value: per-CPU maps pad each CPU's slot to 8 bytes.
        self.slot_size = (value_size + 7) // 8 * 8 if self.percpu else value_size
        self.ncpus = possible_cpus() if self.percpu else 1
        self.value_bytes = self.slot_size * self.ncpus

    @classmethod
    def create(
        cls,
        map_type: int | str,
        key_size: int,
        value_size: int,
        max_entries: int,
        flags: int = 0,
        name: str = "",
    ) -> KernelMap:
        """``BPF_MAP_CREATE``: a new map; ``map_type`` is a number or a name (``"hash"``)."""
        type_id = map_type_of(map_type)
        check_object_name("map", name)
        for label, value in (
            ("key_size", key_size),
            ("value_size", value_size),
            ("max_entries", max_entries),
            ("flags", flags),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
                raise KernelError(f"map {label} must be a u32, not {value!r}")
        attr = Attr()
        attr.u32(0, type_id)
        attr.u32(4, key_size)
        attr.u32(8, value_size)
        attr.u32(12, max_entries)
        attr.u32(16, flags)
        attr.name(28, name)
        fd, err = bpf(Cmd.MAP_CREATE, attr)
        if err:
            what = (
                f"{map_type_name(type_id)} map, key {key_size} B, value {value_size} B, "
                f"max_entries {max_entries}, flags {flags:#x}"
            )
            hint = None
            if err == errno.EINVAL:
                hint = "the kernel refuses these sizes or flags for this map type (arrays need a 4-byte key; no size may be 0)"
            fail(Cmd.MAP_CREATE, err, what, hint)
        return cls(fd, type_id, key_size, value_size, max_entries, flags, name)

    # -- life cycle -------------------------------------------------------------------






    def __repr__(self) -> str:
        state = "closed" if self.closed else f"fd={self._fd}"
        return (
            f"KernelMap({map_type_name(self.map_type)}, key={self.key_size}, "
            f"value={self.value_size}, max_entries={self.max_entries}, {state})"
        )

    def _label(self) -> str:
        named = f" {self.name!r}" if self.name else ""
        return f"{map_type_name(self.map_type)} map{named}"

    # -- elements ---------------------------------------------------------------------

    def _key(self, key: bytes) -> Buffer | None:
        key = bytes(key)
        if len(key) != self.key_size:
            raise KernelError(
                f"{self._label()} takes {self.key_size}-byte keys, got {len(key)} bytes ({_hex(key)})"
            )
        return Buffer(key) if key else None

    def _elem_attr(self, key: bytes | None, value: Buffer | None, flags: int = 0) -> Attr:
        attr = Attr()
        attr.u32(0, self.fd)
        attr.ptr(8, self._key(key) if key is not None else None)
        attr.ptr(16, value)
        attr.u64(24, flags)
        return attr

    def lookup(self, key: bytes) -> bytes | None:
        """``BPF_MAP_LOOKUP_ELEM``: the value, or ``None`` when the key is absent.

        For per-CPU maps this is every CPU's slot concatenated (:attr:`value_bytes` long).
        """
        out = Buffer(self.value_bytes)
        _, err = bpf(Cmd.MAP_LOOKUP_ELEM, self._elem_attr(key, out))
        if err == errno.ENOENT:
            return None
        if err:
            fail(
                Cmd.MAP_LOOKUP_ELEM,
                err,
                f"key {_hex(key)} of {self._label()}",
                eperm_unavailable=False,
            )
        return out.read()

    def lookup_percpu(self, key: bytes) -> list[bytes] | None:
        """The value of each possible CPU (each ``value_size`` bytes), or ``None`` when absent."""
        raw = self.lookup(key)
        if raw is None:
            return None
        slots = range(0, self.slot_size * self.ncpus, self.slot_size)
        return [raw[start : start + self.value_size] for start in slots]

    def update(self, key: bytes, value: bytes, flags: int = 0) -> None:
        """``BPF_MAP_UPDATE_ELEM`` with ``BPF_ANY`` (0), ``BPF_NOEXIST`` (1) or ``BPF_EXIST`` (2).

        Raises :class:`MapKeyError` when the key exists under ``BPF_NOEXIST`` (always, for
        arrays) or is absent under ``BPF_EXIST``, and :class:`MapFullError` when the map is
        full or an array index is out of range. For per-CPU maps ``value`` is either one
        ``value_size`` value (written to every CPU) or the full per-CPU buffer.
        """
        value = bytes(value)
        if self.percpu and len(value) == self.value_size:
            value = value.ljust(self.slot_size, b"\0") * self.ncpus
        if len(value) != self.value_bytes:
            expected = f"{self.value_size}"
            if self.percpu:
                expected += f" or {self.value_bytes} ({self.ncpus} CPUs × {self.slot_size})"
            raise KernelError(
                f"{self._label()} takes {expected}-byte values, got {len(value)} bytes"
            )
        _, err = bpf(Cmd.MAP_UPDATE_ELEM, self._elem_attr(key, Buffer(value), flags))
        if err:
            self._update_failed(key, flags, err)

    def update_percpu(self, key: bytes, values: Sequence[bytes], flags: int = 0) -> None:
        """Write one ``value_size`` value per possible CPU."""
        if not self.percpu:
            raise KernelError(f"{self._label()} is not a per-CPU map")
        if len(values) != self.ncpus:
            raise KernelError(
                f"{self._label()} needs {self.ncpus} values (one per CPU), got {len(values)}"
            )
        parts = []
        for value in values:
            if len(value) != self.value_size:
                raise KernelError(
                    f"{self._label()} takes {self.value_size}-byte values, got {len(value)} bytes"
                )
            parts.append(bytes(value).ljust(self.slot_size, b"\0"))
        self.update(key, b"".join(parts), flags)

    def _update_failed(self, key: bytes, flags: int, err: int) -> None:
        cmd = Cmd.MAP_UPDATE_ELEM
        what = f"key {_hex(key)} of {self._label()}, flags {flags:#x}"
        text = f"{cmd.kernel_name} failed ({what})"
        is_array = self.map_type in ARRAY_MAP_TYPES
        if err == errno.EEXIST:
            detail = (
                "array entries always exist, so BPF_NOEXIST always fails"
                if is_array
                else "the key already exists and BPF_NOEXIST was given"
            )
            raise MapKeyError(f"{text}: EEXIST: {detail}", command=cmd.kernel_name, errno=err)
        if err == errno.ENOENT and (flags & ~BPF_F_LOCK) == BPF_EXIST:
            raise MapKeyError(
                f"{text}: ENOENT: the key does not exist and BPF_EXIST was given",
                command=cmd.kernel_name,
                errno=err,
            )
        if err == errno.E2BIG:
            detail = (
                f"index out of range (max_entries {self.max_entries})"
                if is_array
                else f"the map is full ({self.max_entries} entries)"
            )
            raise MapFullError(f"{text}: E2BIG: {detail}", command=cmd.kernel_name, errno=err)
        hint = None
        if err == errno.EINVAL and (flags & ~BPF_F_LOCK) > BPF_EXIST:
            hint = "flags must be BPF_ANY (0), BPF_NOEXIST (1) or BPF_EXIST (2)"
        fail(cmd, err, what, hint, eperm_unavailable=False)

    def delete(self, key: bytes) -> None:
        """``BPF_MAP_DELETE_ELEM``; :class:`MapKeyError` when the key is absent.

        Array maps refuse every delete (EINVAL): their entries always exist.
        """
        _, err = bpf(Cmd.MAP_DELETE_ELEM, self._elem_attr(key, None))
        if not err:
            return
        cmd = Cmd.MAP_DELETE_ELEM
        what = f"key {_hex(key)} of {self._label()}"
        if err == errno.ENOENT:
            raise MapKeyError(
                f"{cmd.kernel_name} failed ({what}): ENOENT: no such key",
                command=cmd.kernel_name,
                errno=err,
            )
        hint = None
        if err == errno.EINVAL and self.map_type in ARRAY_MAP_TYPES:
            hint = "array map entries cannot be deleted; write zeroes with update() instead"
        fail(cmd, err, what, hint, eperm_unavailable=False)

    def next_key(self, key: bytes | None) -> bytes | None:
        """``BPF_MAP_GET_NEXT_KEY``: the key after ``key`` (the first for ``None``), or ``None``."""
        out = Buffer(self.key_size)
        _, err = bpf(Cmd.MAP_GET_NEXT_KEY, self._elem_attr(key, out))
        if err == errno.ENOENT:
            return None
        if err:
            where = "the first key" if key is None else f"the key after {_hex(key)}"
            fail(Cmd.MAP_GET_NEXT_KEY, err, f"{where} of {self._label()}", eperm_unavailable=False)
        return out.read()

    def keys(self) -> Iterator[bytes]:
        """Every key, in the kernel's order.

        The keys are collected first (at most ``max_entries`` of them), so deleting while
        iterating is safe: a hash map restarts its walk when the current key disappears.
        """
        found: list[bytes] = []
        seen: set[bytes] = set()
        key = self.next_key(None)
        while key is not None and key not in seen and len(found) < self.max_entries:
            found.append(key)
            seen.add(key)
            key = self.next_key(key)
        return iter(found)

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """``(key, value)`` for every key still present when it is read."""
        for key in self.keys():
            value = self.lookup(key)
            if value is not None:
                yield key, value

    def __iter__(self) -> Iterator[bytes]:
        return self.keys()

    def __contains__(self, key: object) -> bool:
        return isinstance(key, bytes | bytearray) and self.lookup(bytes(key)) is not None
