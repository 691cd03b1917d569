"""Reading the back end's ELF output with pyelftools (independent of chamelio.ebpf.elf)."""

from __future__ import annotations

import io
import struct

from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from elftools.elf.sections import Section, SymbolTableSection

INSN = 8
LDDW = 0x18
BPF_PSEUDO_MAP_FD = 1


def elf(obj: bytes) -> ELFFile:
    return ELFFile(io.BytesIO(obj))


def section(f: ELFFile, name: str) -> Section:
    found = f.get_section_by_name(name)
    assert found is not None, f"no section {name!r}"
    return found


def section_names(obj: bytes) -> set[str]:
    return {s.name for s in elf(obj).iter_sections()}


def program(obj: bytes, name: str) -> tuple[bytes, list[str]]:
    """The section's instructions, with each map ``lddw`` relocation turned into a
    ``BPF_PSEUDO_MAP_FD`` reference to an index into the returned list of map names."""
    f = elf(obj)
    code = bytearray(section(f, name).data())
    maps: list[str] = []
    rel = f.get_section_by_name(f".rel{name}")
    if rel is not None:
        assert isinstance(rel, RelocationSection)
        symtab = f.get_section(rel["sh_link"])
        assert isinstance(symtab, SymbolTableSection)
        for r in rel.iter_relocations():
            name = symtab.get_symbol(r["r_info_sym"]).name
            at = r["r_offset"]
            opcode, regs = code[at], code[at + 1]
            assert opcode == LDDW, f"relocation at {at} is not on an lddw"
            if name not in maps:
                maps.append(name)
            code[at + 1] = (regs & 0x0F) | BPF_PSEUDO_MAP_FD << 4
            struct.pack_into("<i", code, at + 4, maps.index(name))
    return bytes(code), maps
