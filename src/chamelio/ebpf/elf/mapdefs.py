"""Map definitions, libbpf's way: legacy ``maps``, BTF ``.maps``, and global data sections.

Order of ``ObjectFile.maps`` (which fixes the index a relocated ``lddw`` carries) follows
libbpf's ``bpf_object__init_maps``: legacy maps by offset, then BTF-defined maps in
``.maps`` DATASEC order, then one array map per ``.data*``/``.rodata*``/``.bss*`` section
in section order.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from chamelio.ebpf.elf.btf import (
    KIND_ARRAY,
    KIND_FUNC_PROTO,
    KIND_PTR,
    KIND_STRUCT,
    KIND_VAR,
    Btf,
)
from chamelio.ebpf.elf.objfile import ElfError, MapDef
from chamelio.ebpf.elf.reader import (
    SHT_NOBITS,
    SHT_PROGBITS,
    STT_SECTION,
    RawElf,
    Section,
    Symbol,
)

MAP_TYPE_ARRAY = 2
MAP_TYPE_PROG_ARRAY = 3
MAP_TYPE_ARRAY_OF_MAPS = 12
MAP_TYPE_HASH_OF_MAPS = 13
BPF_F_RDONLY_PROG = 0x80
MAX_DATA_SIZE = 64 << 20  # one global-data section (an array map's single value)
_MAP_IN_MAP = (MAP_TYPE_ARRAY_OF_MAPS, MAP_TYPE_HASH_OF_MAPS)
_LEGACY_MIN = 20  # struct bpf_map_def: type, key_size, value_size, max_entries, map_flags
_INT_FIELDS = ("type", "max_entries", "map_flags", "numa_node", "pinning", "map_extra",
               "key_size", "value_size")  # fmt: skip


@dataclass(slots=True)
class MapSlot:
    """Where a map lives, to resolve relocations: (section index, offset) -> map index."""

    section: int
    offset: int
    index: int


def data_section_kind(name: str) -> str | None:
    """``"data"``, ``"rodata"`` or ``"bss"`` for libbpf's global-data sections."""
    for kind in ("data", "rodata", "bss"):
        if name == f".{kind}" or name.startswith(f".{kind}."):
            return kind
    return None


def is_legacy_maps(name: str) -> bool:
    return name == "maps" or name.startswith("maps/")


def _map_symbols(raw: RawElf, sec: Section) -> list[Symbol]:
    syms = [s for s in raw.symbols_in(sec.index) if s.type != STT_SECTION and s.name]
    return sorted(syms, key=lambda s: (s.value, s.index))


def legacy_maps(raw: RawElf, maps: list[MapDef], slots: list[MapSlot]) -> None:
    """``struct bpf_map_def`` records of every ``maps`` section, possibly with extra fields
    (iproute2's ``bpf_elf_map``, ``bpf_load.h``'s ``inner_map_idx``)."""
    first = len(maps)
    wide: list[MapDef] = []  # definitions with a 6th field: bpf_load.h's inner_map_idx
    for sec in raw.sections:
        if not is_legacy_maps(sec.name) or sec.type != SHT_PROGBITS:
            continue
        syms = _map_symbols(raw, sec)
        if not syms:
            if sec.size:
                raise ElfError("map definitions without symbols", sec.name)
            continue
        def_size = sec.size // len(syms)
        if def_size < _LEGACY_MIN or def_size % 4 or sec.size % len(syms):
            raise ElfError(
                f"{sec.size} bytes for {len(syms)} maps: not a whole number of "
                f"struct bpf_map_def (at least {_LEGACY_MIN} bytes each)",
                sec.name,
            )
        for sym in syms:
            if sym.value % def_size or sym.value + def_size > sec.size:
                raise ElfError(f"map {sym.name!r} at offset {sym.value} is misplaced", sec.name)
            fields = struct.unpack_from(f"<{def_size // 4}I", sec.data, sym.value)
            mtype, key_size, value_size, max_entries, flags = fields[:5]
            if mtype in _MAP_IN_MAP and value_size == 0:
                value_size = 4  # bpf_load.c created map-in-maps with 4-byte (fd) values
            slots.append(MapSlot(sec.index, sym.value, len(maps)))
            mdef = MapDef(sym.name, mtype, key_size, value_size, max_entries, flags,
                          sec.name, sym.value)  # fmt: skip
            maps.append(mdef)
            if len(fields) > 5 and mtype in _MAP_IN_MAP:
                mdef.map_extra = fields[5]  # provisional: the inner map's index
                wide.append(mdef)
    for mdef in wide:
        inner_idx, mdef.map_extra = mdef.map_extra, 0
        if first + inner_idx < len(maps) and maps[first + inner_idx] is not mdef:
            mdef.inner = maps[first + inner_idx]


def btf_maps(
    raw: RawElf, sec: Section, btf: Btf | None, maps: list[MapDef], slots: list[MapSlot]
) -> list[str]:
    """Maps declared with libbpf's ``__uint``/``__type``/``__array`` macros; returns warnings."""
    if btf is None:
        raise ElfError("BTF-defined maps need a .BTF section, and there is none", sec.name)
    datasec = btf.datasec(sec.name)
    if datasec is None:
        raise ElfError("no BTF DATASEC describes this section", sec.name)
    by_name = {s.name: s for s in _map_symbols(raw, sec)}
    warnings: list[str] = []
    for _, var_id, _ in datasec.members:
        var = btf.type(var_id)
        if var.kind != KIND_VAR:
            raise ElfError(f"DATASEC entry {var_id} is a {var.kind_name}, not a variable", sec.name)
        sym = by_name.get(var.name)
        if sym is None:
            raise ElfError(f"map {var.name!r} has no symbol", sec.name)
        mdef = _btf_map_def(btf, var.name, var.size_or_type, sec.name, warnings, inner=False)
        mdef.offset = sym.value
        slots.append(MapSlot(sec.index, sym.value, len(maps)))
        maps.append(mdef)
    return warnings


def _btf_map_def(
    btf: Btf, name: str, type_id: int, section: str, warnings: list[str], inner: bool
) -> MapDef:
    _, t = btf.skip_mods(type_id)
    if t.kind != KIND_STRUCT:
        raise ElfError(f"map {name!r}: definition is a {t.kind_name}, not a struct", section)
    mdef = MapDef(name, 0, 0, 0, 0, section=section)
    ints: dict[str, int] = {}
    key_size = value_size = None
    for mname, mtype, _ in t.members:
        if mname in _INT_FIELDS:
            ints[mname] = _uint_field(btf, name, mname, mtype, section)
        elif mname in ("key", "value"):
            _, ptr = btf.skip_mods(mtype)
            if ptr.kind != KIND_PTR:
                raise ElfError(f"map {name!r}: {mname} must be a pointer (__type)", section)
            size = btf.size_of(ptr.size_or_type)
            if mname == "key":
                key_size, mdef.btf_key_type = size, ptr.size_or_type
            else:
                value_size, mdef.btf_value_type = size, ptr.size_or_type
        elif mname == "values":
            mdef.inner = _values_field(btf, name, mtype, section, warnings, inner)
        else:
            warnings.append(f"map {name!r}: unknown field {mname!r} ignored")
    mdef.type = ints.get("type", 0)
    mdef.max_entries = ints.get("max_entries", 0)
    mdef.flags = ints.get("map_flags", 0)
    mdef.numa_node = ints.get("numa_node", 0)
    mdef.pinning = ints.get("pinning", 0)
    mdef.map_extra = ints.get("map_extra", 0)
    mdef.key_size = _agree(name, "key", ints.get("key_size"), key_size, section)
    mdef.value_size = _agree(name, "value", ints.get("value_size"), value_size, section)
    if mdef.inner is not None or (
        mdef.type in _MAP_IN_MAP and "values" in (m[0] for m in t.members)
    ):
        mdef.value_size = mdef.value_size or 4
    if mdef.type == MAP_TYPE_PROG_ARRAY and any(m[0] == "values" for m in t.members):
        mdef.key_size, mdef.value_size = mdef.key_size or 4, mdef.value_size or 4
    return mdef


def _agree(name: str, what: str, explicit: int | None, typed: int | None, section: str) -> int:
    if explicit is not None and typed is not None and explicit != typed:
        raise ElfError(
            f"map {name!r}: {what}_size {explicit} disagrees with the {what} type ({typed} bytes)",
            section,
        )
    size = explicit if explicit is not None else typed or 0
    if size >= 1 << 32:
        raise ElfError(f"map {name!r}: {what} size {size} is too large", section)
    return size


def _uint_field(btf: Btf, name: str, field: str, type_id: int, section: str) -> int:
    """``__uint(field, N)`` is ``int (*field)[N]``: a pointer to an array of N elements."""
    _, ptr = btf.skip_mods(type_id)
    if ptr.kind != KIND_PTR:
        raise ElfError(f"map {name!r}: {field} must be __uint() (a pointer), not {ptr.kind_name}",
                       section)  # fmt: skip
    _, arr = btf.skip_mods(ptr.size_or_type)
    if arr.kind != KIND_ARRAY or arr.array is None:
        raise ElfError(f"map {name!r}: {field} must point to an array, not {arr.kind_name}",
                       section)  # fmt: skip
    return arr.array[2]


def _values_field(
    btf: Btf, name: str, type_id: int, section: str, warnings: list[str], inner: bool
) -> MapDef | None:
    """``__array(values, struct inner_def)`` is ``struct inner_def *values[]``."""
    if inner:
        raise ElfError(f"map {name!r}: multi-level inner maps are not supported", section)
    _, arr = btf.skip_mods(type_id)
    if arr.kind != KIND_ARRAY or arr.array is None:
        raise ElfError(f"map {name!r}: values must be an array (__array)", section)
    _, ptr = btf.skip_mods(arr.array[0])
    if ptr.kind != KIND_PTR:
        raise ElfError(f"map {name!r}: values must be an array of pointers", section)
    target_id, target = btf.skip_mods(ptr.size_or_type)
    if target.kind == KIND_FUNC_PROTO:
        return None  # prog array: values are programs
    return _btf_map_def(btf, f"{name}.inner", target_id, section, warnings, inner=True)


def data_maps(raw: RawElf, maps: list[MapDef], slots: list[MapSlot]) -> None:
    """One single-entry array map per global-data section, holding its initial contents."""
    for sec in raw.sections:
        kind = data_section_kind(sec.name)
        if kind is None or sec.type not in (SHT_PROGBITS, SHT_NOBITS) or sec.is_code:
            continue
        if sec.size == 0:
            continue  # libbpf skips empty data sections
        if sec.size > MAX_DATA_SIZE:
            raise ElfError(f"global data of {sec.size} bytes is too large (limit "
                           f"{MAX_DATA_SIZE})", sec.name)  # fmt: skip
        initial = bytes(sec.size) if sec.type == SHT_NOBITS else sec.data
        flags = BPF_F_RDONLY_PROG if kind == "rodata" else 0
        slots.append(MapSlot(sec.index, 0, len(maps)))
        maps.append(MapDef(sec.name, MAP_TYPE_ARRAY, 4, sec.size, 1, flags, sec.name, 0,
                           initial=initial))  # fmt: skip
