"""The eBPF ELF object loader (libbpf conventions): ``load_object(path) -> ObjectFile``."""

from chamelio.ebpf.elf.loader import load_object
from chamelio.ebpf.elf.objfile import (
    RELOC_CALL,
    RELOC_CORE,
    RELOC_FUNC,
    RELOC_MAP,
    RELOC_MAP_VALUE,
    CallReloc,
    CoreReloc,
    ElfError,
    LineInfo,
    MapDef,
    MapReloc,
    ObjectFile,
    Program,
)

__all__ = [
    "RELOC_CALL",
    "RELOC_CORE",
    "RELOC_FUNC",
    "RELOC_MAP",
    "RELOC_MAP_VALUE",
    "CallReloc",
    "CoreReloc",
    "ElfError",
    "LineInfo",
    "MapDef",
    "MapReloc",
    "ObjectFile",
    "Program",
    "load_object",
]
