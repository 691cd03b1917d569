"""The ELF layer: header, sections, symbols and relocations as plain, checked records.

pyelftools reads the header and the section headers (with their names); the symbol and
relocation tables are decoded here with ``struct`` (pyelftools parses them entry by entry,
which takes seconds on large objects). Everything pyelftools may raise on corrupt input is
turned into :class:`ElfError` at this boundary, naming the section when it is known.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from typing import Any

from elftools.common.exceptions import ELFError as _PyElfError
from elftools.common.exceptions import ELFParseError, ELFRelocationError
from elftools.elf.elffile import ELFFile

from chamelio.ebpf.elf.objfile import ElfError

EM_NONE = 0  # old LLVM wrote EM_NONE; libbpf accepts it too
EM_BPF = 247
ET_REL = 1

SHT_PROGBITS = 1
SHT_SYMTAB = 2
SHT_STRTAB = 3
SHT_RELA = 4
SHT_NOBITS = 8
SHT_REL = 9
SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4

STT_NOTYPE = 0
STT_OBJECT = 1
STT_FUNC = 2
STT_SECTION = 3
STB_LOCAL = 0
STB_GLOBAL = 1
STB_WEAK = 2
SHN_UNDEF = 0
SHN_LORESERVE = 0xFF00

# Relocation types of the BPF backend (LLVM's names).
R_BPF_NONE = 0
R_BPF_64_64 = 1
R_BPF_64_ABS64 = 2
R_BPF_64_ABS32 = 3
R_BPF_64_NODYLD32 = 4
R_BPF_64_32 = 10
RELOC_NAMES = {
    R_BPF_NONE: "R_BPF_NONE", R_BPF_64_64: "R_BPF_64_64", R_BPF_64_ABS64: "R_BPF_64_ABS64",
    R_BPF_64_ABS32: "R_BPF_64_ABS32", R_BPF_64_NODYLD32: "R_BPF_64_NODYLD32",
    R_BPF_64_32: "R_BPF_64_32",
}  # fmt: skip

# What pyelftools (and its construct-based parsers) raise on corrupt input.
PARSER_ERRORS: tuple[type[BaseException], ...] = (
    _PyElfError, ELFParseError, ELFRelocationError, struct.error, IndexError, KeyError,
    UnicodeDecodeError, ValueError, AssertionError, OverflowError, TypeError, AttributeError,
    EOFError, MemoryError, RecursionError,
)  # fmt: skip

_SYM = struct.Struct("<IBBHQQ")
_REL = struct.Struct("<QQ")
_RELA = struct.Struct("<QQq")
_MAX_SYMBOLS = 1 << 20


@dataclass(frozen=True, slots=True)
class Section:
    index: int
    name: str
    type: int
    flags: int
    size: int
    link: int
    info: int
    entsize: int
    data: bytes  # empty for SHT_NOBITS (.bss)

    @property
    def is_code(self) -> bool:
        return self.type == SHT_PROGBITS and bool(self.flags & SHF_EXECINSTR)


@dataclass(frozen=True, slots=True)
class Symbol:
    index: int
    name: str
    value: int
    size: int
    type: int
    bind: int
    shndx: int

    @property
    def label(self) -> str:
        return self.name or f"symbol #{self.index}"


@dataclass(frozen=True, slots=True)
class Reloc:
    offset: int
    type: int
    sym: int
    addend: int = 0  # SHT_RELA only (very old LLVM wrote RELA with zero addends)


@dataclass(slots=True)
class RawElf:
    sections: list[Section]
    symbols: list[Symbol]
    relocs: dict[int, list[Reloc]] = field(default_factory=dict)  # target section -> entries
    rel_names: dict[int, str] = field(default_factory=dict)  # target section -> .rel name
    _by_section: dict[int, list[Symbol]] | None = None

    def symbols_in(self, shndx: int) -> list[Symbol]:
        """The symbols defined in section ``shndx`` (in symbol table order)."""
        if self._by_section is None:
            self._by_section = {}
            for sym in self.symbols:
                self._by_section.setdefault(sym.shndx, []).append(sym)
        return self._by_section.get(shndx, [])

    def section(self, index: int, what: str = "section") -> Section:
        if not 0 < index < len(self.sections):
            raise ElfError(f"{what} index {index} is out of range ({len(self.sections)} sections)")
        return self.sections[index]

    def symbol(self, index: int, section: str) -> Symbol:
        if not 0 <= index < len(self.symbols):
            raise ElfError(f"relocation refers to symbol #{index}, out of range", section)
        return self.symbols[index]


def _check_ident(data: bytes) -> None:
    if len(data) < 64:
        raise ElfError(f"not an ELF object: only {len(data)} bytes")
    if data[:4] != b"\x7fELF":
        raise ElfError("not an ELF object (bad magic)")
    if data[4] != 2:
        raise ElfError("not a 64-bit ELF object (eBPF objects are ELFCLASS64)")
    if data[5] == 2:
        raise ElfError(
            "big-endian eBPF objects are not supported", hint="compile with -target bpfel"
        )
    if data[5] != 1:
        raise ElfError(f"unknown ELF data encoding {data[5]}")
    e_type, e_machine = struct.unpack_from("<HH", data, 16)
    if e_machine not in (EM_BPF, EM_NONE):
        raise ElfError(f"not an eBPF object (e_machine {e_machine}, expected EM_BPF = 247)")
    if e_type != ET_REL:
        raise ElfError(f"not a relocatable object (e_type {e_type}, expected ET_REL)")
    (shoff,) = struct.unpack_from("<Q", data, 40)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 58)
    if shnum == 0:
        raise ElfError("the object has no section headers")
    if shentsize != 64:
        raise ElfError(f"bad section header size {shentsize} (expected 64)")
    if shoff + shnum * shentsize > len(data):
        raise ElfError(f"section headers ({shnum} at offset {shoff}) extend past end of file")
    if shstrndx >= shnum:
        raise ElfError(f"section name table index {shstrndx} is out of range")


def read_elf(data: bytes) -> RawElf:
    _check_ident(data)
    index = -1
    try:
        elf = ELFFile(io.BytesIO(data))
        sections: list[Section] = []
        for index in range(elf.num_sections()):
            hdr = elf._get_section_header(index)  # no section-type side effects
            sections.append(_section(data, elf, index, hdr))
    except PARSER_ERRORS as exc:
        where = f"section header #{index}: " if index >= 0 else ""
        raise ElfError(f"{where}malformed ELF ({type(exc).__name__}: {exc})") from None
    raw = RawElf(sections, [])
    symtabs = [s for s in sections if s.type == SHT_SYMTAB]
    if not symtabs:
        raise ElfError("no symbol table (.symtab) in the object")
    if len(symtabs) > 1:
        raise ElfError(f"{len(symtabs)} symbol tables; expected one")
    raw.symbols = _symbols(raw, symtabs[0])
    for sec in sections:
        if sec.type in (SHT_REL, SHT_RELA):
            _relocations(raw, sec, symtabs[0])
    return raw


def _section(data: bytes, elf: ELFFile, index: int, hdr: Any) -> Section:
    h = hdr  # a construct Container: header fields by name
    sh_type = h["sh_type"]
    type_num = sh_type if isinstance(sh_type, int) else _SH_TYPES.get(sh_type, -1)
    name = elf._get_section_name(h) if index else ""
    if not isinstance(name, str):
        name = str(name)
    offset, size = h["sh_offset"], h["sh_size"]
    if type_num == SHT_NOBITS or index == 0:
        content = b""
    else:
        if offset + size > len(data):
            raise ElfError(
                f"contents ({size} bytes at offset {offset}) extend past end of file",
                name or f"#{index}",
            )
        content = data[offset : offset + size]
    return Section(index, name, type_num, h["sh_flags"], size, h["sh_link"],
                   h["sh_info"], h["sh_entsize"], content)  # fmt: skip


_SH_TYPES = {
    "SHT_NULL": 0, "SHT_PROGBITS": SHT_PROGBITS, "SHT_SYMTAB": SHT_SYMTAB,
    "SHT_STRTAB": SHT_STRTAB, "SHT_RELA": SHT_RELA, "SHT_HASH": 5, "SHT_DYNAMIC": 6,
    "SHT_NOTE": 7, "SHT_NOBITS": SHT_NOBITS, "SHT_REL": SHT_REL, "SHT_SHLIB": 10,
    "SHT_DYNSYM": 11,
}  # fmt: skip


def _string(table: bytes, off: int, where: str) -> str:
    if off >= len(table) and off:
        raise ElfError(f"name offset {off} is outside the string table", where)
    end = table.find(b"\0", off)
    return table[off : end if end >= 0 else len(table)].decode("utf-8", errors="replace")


def _symbols(raw: RawElf, symtab: Section) -> list[Symbol]:
    if symtab.entsize not in (0, _SYM.size) or len(symtab.data) % _SYM.size:
        raise ElfError(f"bad symbol entry size {symtab.entsize} or table size", symtab.name)
    if len(symtab.data) // _SYM.size > _MAX_SYMBOLS:
        raise ElfError("too many symbols", symtab.name)
    strtab = raw.section(symtab.link, f"{symtab.name} string table")
    if strtab.type != SHT_STRTAB:
        raise ElfError(f"linked section {strtab.name!r} is not a string table", symtab.name)
    out = []
    for i, (name, info, _other, shndx, value, size) in enumerate(_SYM.iter_unpack(symtab.data)):
        label = _string(strtab.data, name, symtab.name)
        if info & 0xF == STT_SECTION and not label and 0 < shndx < len(raw.sections):
            label = raw.sections[shndx].name
        out.append(Symbol(i, label, value, size, info & 0xF, info >> 4, shndx))
    return out


def _relocations(raw: RawElf, rel: Section, symtab: Section) -> None:
    if rel.info >= len(raw.sections) or rel.info == 0:
        raise ElfError(f"relocations target section #{rel.info}, out of range", rel.name)
    target = raw.sections[rel.info]
    if not target.is_code:
        return  # relocations of data, debug and BTF sections are not applied (libbpf: same)
    if rel.link != symtab.index:
        raise ElfError(f"relocations use section #{rel.link}, not the symbol table", rel.name)
    if rel.info in raw.relocs:
        raise ElfError(f"second relocation section for {target.name!r}", rel.name)
    if rel.type == SHT_RELA:
        if rel.entsize not in (0, _RELA.size) or len(rel.data) % _RELA.size:
            raise ElfError(f"bad relocation entry size {rel.entsize} or table size", rel.name)
        entries = [Reloc(off, info & 0xFFFFFFFF, info >> 32, add)
                   for off, info, add in _RELA.iter_unpack(rel.data)]  # fmt: skip
    else:
        if rel.entsize not in (0, _REL.size) or len(rel.data) % _REL.size:
            raise ElfError(f"bad relocation entry size {rel.entsize} or table size", rel.name)
        entries = [Reloc(off, info & 0xFFFFFFFF, info >> 32)
                   for off, info in _REL.iter_unpack(rel.data)]  # fmt: skip
    raw.relocs[rel.info] = entries
    raw.rel_names[rel.info] = rel.name
