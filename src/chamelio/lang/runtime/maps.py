"""Module-level maps in plain Python, with the kernel's semantics.

``HashMap(key=u32, value=u64, max_entries=64)`` and ``ArrayMap(value=u64, max_entries=16)``.
``lookup`` returns a ``Ptr[value]`` into the stored value (so ``v[0] += 1`` updates the map) or
None; ``update``/``delete`` return ``i64(0)`` or a negative errno, decided exactly as in
``kernel/bpf/arraymap.c`` and ``hashtab.c``:

- flags other than BPF_ANY/BPF_NOEXIST/BPF_EXIST: ``-EINVAL``;
- array: index ``>= max_entries``: lookup None, update ``-E2BIG``; ``BPF_NOEXIST``:
  ``-EEXIST`` (every element exists); delete: ``-EINVAL``; values start zeroed;
- hash: ``BPF_NOEXIST`` on a present key ``-EEXIST``, ``BPF_EXIST`` on a missing key
  ``-ENOENT``, a new key in a full map ``-E2BIG``; delete of a missing key ``-ENOENT``.

An update writes into the stored value, so a pointer from an earlier lookup sees the new
bytes (as in ``chamelio.ebpf.maps``, the interpreter's maps).
"""

from __future__ import annotations

import errno
from typing import Any

from chamelio import abi
from chamelio.lang import types as lt
from chamelio.lang.runtime.ints import i64
from chamelio.lang.runtime.structs import Ptr, encode, load

# The kernel caps a map's preallocated memory too; 2**24 entries is far above any handler's need.
MAX_ENTRIES_LIMIT = 1 << 24


class _Map:
    __lang_type__: lt.MapType

    def __init__(self, kind: abi.MapType, key: object, value: object, max_entries: int) -> None:
        kt, vt = lt.type_of_annotation(key), lt.type_of_annotation(value)
        for role, t in (("key", kt), ("value", vt)):
            if not isinstance(t, lt.IntType | lt.BoolType | lt.StructType | lt.ArrayType):
                raise lt.LangTypeError(f"a map {role} cannot be of type {t.name}",
                                       "use an integer type, a @struct or an Array[T, N]")
        if not isinstance(max_entries, int) or isinstance(max_entries, bool) or max_entries <= 0:
            raise lt.LangTypeError(f"max_entries must be a positive integer, got {max_entries!r}")
        if max_entries > MAX_ENTRIES_LIMIT:
            raise lt.LangTypeError(
                f"max_entries {max_entries} is above the limit of {MAX_ENTRIES_LIMIT}",
                "maps are preallocated in plain Python and in the kernel: use a smaller map")
        self.__lang_type__ = lt.MapType(kind, kt, vt, int(max_entries))

    # -- shape -----------------------------------------------------------------------------
    @property
    def key_type(self) -> lt.LangType:
        return self.__lang_type__.key

    @property
    def value_type(self) -> lt.LangType:
        return self.__lang_type__.value

    @property
    def max_entries(self) -> int:
        return self.__lang_type__.max_entries

    @property
    def key_size(self) -> int:
        return self.key_type.size

    @property
    def value_size(self) -> int:
        return self.value_type.size

    def encode_key(self, key: object) -> bytes:
        if isinstance(key, Ptr):
            key = key[0]
        return encode(self.key_type, key, "map key")

    def encode_value(self, value: object) -> bytes:
        return encode(self.value_type, value, "map value")

    # -- byte-level operations (what the helpers and the HelperEnv use) --------------------
    def lookup_raw(self, key: bytes) -> bytearray | None:
        raise NotImplementedError

    def update_raw(self, key: bytes, value: bytes, flags: int) -> int:
        raise NotImplementedError

    def delete_raw(self, key: bytes) -> int:
        raise NotImplementedError

    def raw_items(self) -> dict[bytes, bytes]:
        """Every entry as ``{key bytes: value bytes}`` (for comparing with a kernel map dump)."""
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def _check_size(self, key: bytes, value: bytes | None = None) -> None:
        if len(key) != self.key_size or (value is not None and len(value) != self.value_size):
            raise lt.LangTypeError(f"wrong key/value size for {self.__lang_type__.name}")

    # -- the language's operations ---------------------------------------------------------
    def lookup(self, key: object) -> Ptr | None:
        """A ``Ptr[value]`` into the stored value, or None."""
        buf = self.lookup_raw(self.encode_key(key))
        return None if buf is None else Ptr(self.value_type, buf, 0)

    def update(self, key: object, value: object, flags: int = abi.BPF_ANY) -> i64:
        """Store ``value`` under ``key``; ``i64(0)`` or a negative errno."""
        if isinstance(value, Ptr):
            value = value[0]
        return i64(self.update_raw(self.encode_key(key), self.encode_value(value), int(flags)))

    def delete(self, key: object) -> i64:
        return i64(self.delete_raw(self.encode_key(key)))

    # -- Python-side inspection ------------------------------------------------------------
    def get(self, key: object) -> Any:
        """A copy of the value stored under ``key`` (int, bool, struct or array) or None."""
        buf = self.lookup_raw(self.encode_key(key))
        return None if buf is None else load(self.value_type, bytearray(buf), 0)

    def items(self) -> list[tuple[Any, Any]]:
        """``(key, value)`` pairs decoded to lang values (copies), in key-byte order."""
        return [(load(self.key_type, bytearray(k), 0), load(self.value_type, bytearray(v), 0))
                for k, v in sorted(self.raw_items().items())]

    def load_raw(self, entries: dict[bytes, bytes]) -> None:
        """Replace the contents with ``entries`` (e.g. a kernel map dump)."""
        self.clear()
        for k, v in entries.items():
            self._check_size(k, v)
            rc = self.update_raw(bytes(k), bytes(v), abi.BPF_ANY)
            if rc:
                raise lt.LangRuntimeError(f"cannot load entry {k.hex()}: errno {-rc}")

    def __repr__(self) -> str:
        return f"<{self.__lang_type__.name}: {len(self.raw_items())} entries>"


class HashMap(_Map):
    """A hash map: at most ``max_entries`` keys."""

    def __init__(self, key: object, value: object, max_entries: int) -> None:
        super().__init__(abi.MapType.HASH, key, value, max_entries)
        self._entries: dict[bytes, bytearray] = {}

    def lookup_raw(self, key: bytes) -> bytearray | None:
        self._check_size(key)
        return self._entries.get(bytes(key))

    def update_raw(self, key: bytes, value: bytes, flags: int) -> int:
        self._check_size(key, value)
        if flags < 0 or flags > abi.BPF_EXIST:
            return -errno.EINVAL
        key = bytes(key)
        present = key in self._entries
        if present and flags == abi.BPF_NOEXIST:
            return -errno.EEXIST
        if not present and flags == abi.BPF_EXIST:
            return -errno.ENOENT
        if present:
            self._entries[key][:] = value
        elif len(self._entries) >= self.max_entries:
            return -errno.E2BIG
        else:
            self._entries[key] = bytearray(value)
        return 0

    def delete_raw(self, key: bytes) -> int:
        self._check_size(key)
        if self._entries.pop(bytes(key), None) is None:
            return -errno.ENOENT
        return 0

    def raw_items(self) -> dict[bytes, bytes]:
        return {k: bytes(v) for k, v in self._entries.items()}

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class ArrayMap(_Map):
    """An array map: keys are ``u32`` indexes ``0 .. max_entries-1``, every value exists and
    starts zeroed, nothing can be deleted."""

    def __init__(self, value: object, max_entries: int, key: object = None) -> None:
        from chamelio.lang.runtime.ints import u32
        key_t = lt.type_of_annotation(u32 if key is None else key)
        if key_t != lt.U32:
            raise lt.LangTypeError(f"an ArrayMap's key is its u32 index, not {key_t.name}",
                                   "drop key=..., or use a HashMap")
        super().__init__(abi.MapType.ARRAY, u32, value, max_entries)
        self._values = [bytearray(self.value_size) for _ in range(self.max_entries)]

    def _index(self, key: bytes) -> int:
        self._check_size(key)
        return int.from_bytes(key, "little")

    def lookup_raw(self, key: bytes) -> bytearray | None:
        i = self._index(key)
        return self._values[i] if i < self.max_entries else None

    def update_raw(self, key: bytes, value: bytes, flags: int) -> int:
        self._check_size(key, value)
        if flags < 0 or flags > abi.BPF_EXIST:
            return -errno.EINVAL
        i = self._index(key)
        if i >= self.max_entries:
            return -errno.E2BIG
        if flags == abi.BPF_NOEXIST:
            return -errno.EEXIST
        self._values[i][:] = value
        return 0

    def delete_raw(self, key: bytes) -> int:
        self._check_size(key)
        return -errno.EINVAL

    def raw_items(self) -> dict[bytes, bytes]:
        return {i.to_bytes(4, "little"): bytes(v) for i, v in enumerate(self._values)}

    def clear(self) -> None:
        for v in self._values:
            v[:] = bytes(len(v))

    def __len__(self) -> int:
        return self.max_entries
