"""Map types the provider supports, with the kernel's numeric ids (``enum bpf_map_type``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class MapType(enum.IntEnum):
    HASH = 1
    ARRAY = 2
    PERCPU_HASH = 5
    PERCPU_ARRAY = 6


# Update flags (``BPF_ANY`` ...), shared by every map implementation.
BPF_ANY = 0
BPF_NOEXIST = 1
BPF_EXIST = 2


@dataclass(frozen=True, slots=True)
class MapTypeInfo:
    type: MapType
    name: str
    keyed_by_index: bool  # arrays: the key is a u32 index, entries always exist, delete fails
    per_cpu: bool
    doc: str


MAP_TYPES: dict[MapType, MapTypeInfo] = {
    MapType.HASH: MapTypeInfo(MapType.HASH, "hash", False, False, "hash table of fixed-size keys"),
    MapType.ARRAY: MapTypeInfo(MapType.ARRAY, "array", True, False, "array indexed by u32, preallocated, zeroed"),
    MapType.PERCPU_HASH: MapTypeInfo(MapType.PERCPU_HASH, "percpu_hash", False, True, "hash table, one value per CPU"),
    MapType.PERCPU_ARRAY: MapTypeInfo(MapType.PERCPU_ARRAY, "percpu_array", True, True, "array, one value per CPU"),
}


def map_type_by_name(name: str) -> MapType:
    for info in MAP_TYPES.values():
        if info.name == name:
            return info.type
    known = ", ".join(i.name for i in MAP_TYPES.values())
    raise KeyError(f"unknown map type {name!r} (known: {known})")
