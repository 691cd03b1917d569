"""A tiny writer of eBPF relocatable ELF objects, to craft the cases real samples lack."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from chamelio.ebpf import isa

SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_NOBITS, SHT_REL = 1, 2, 3, 8, 9
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION = 0, 1, 2, 3
STB_LOCAL, STB_GLOBAL = 0, 1
R_BPF_64_64, R_BPF_64_32 = 1, 10


def code(*insns: isa.Insn | list[isa.Insn]) -> bytes:
    flat: list[isa.Insn] = []
    for item in insns:
        flat.extend(item if isinstance(item, list) else [item])
    return isa.encode(flat)


EXIT = isa.Insn(isa.OP_EXIT)


def call_helper(n: int) -> isa.Insn:
    return isa.Insn(isa.OP_CALL, imm=n)


def call_local(imm: int) -> isa.Insn:
    return isa.Insn(isa.OP_CALL, src=isa.BPF_PSEUDO_CALL, imm=imm)


def mov(dst: int, imm: int) -> isa.Insn:
    return isa.Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_K, dst=dst, imm=imm)


@dataclass
class _Sec:
    name: str
    data: bytes
    type: int
    flags: int
    size: int
    link: int = 0
    info: int = 0
    entsize: int = 0
    align: int = 8


@dataclass
class ElfBuilder:
    machine: int = 247
    e_type: int = 1
    sections: list[_Sec] = field(default_factory=list)
    symbols: list[tuple[str, int, int, int, int, int]] = field(default_factory=list)
    relocs: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)

    def section(self, name: str, data: bytes = b"", *, code: bool = False, nobits: int = 0,
                writable: bool = False) -> int:  # fmt: skip
        flags = SHF_ALLOC | (SHF_EXECINSTR if code else 0) | (SHF_WRITE if writable else 0)
        if nobits:
            self.sections.append(_Sec(name, b"", SHT_NOBITS, flags, nobits))
        else:
            self.sections.append(_Sec(name, data, SHT_PROGBITS, flags, len(data)))
        return len(self.sections)  # index 0 is the null section

    def symbol(self, name: str, shndx: int, value: int = 0, size: int = 0,
               type: int = STT_FUNC, bind: int = STB_GLOBAL) -> int:  # fmt: skip
        self.symbols.append((name, shndx, value, size, type, bind))
        return len(self.symbols)  # index 0 is the null symbol

    def reloc(self, section: int, offset: int, sym: int, rtype: int = R_BPF_64_64) -> None:
        self.relocs.setdefault(section, []).append((offset, sym, rtype))

    def build(self) -> bytes:
        strtab = bytearray(b"\0")
        names: list[int] = []
        for sec in self.sections:
            names.append(len(strtab))
            strtab += sec.name.encode() + b"\0"
        sym_names = []
        for name, *_ in self.symbols:
            sym_names.append(len(strtab) if name else 0)
            if name:
                strtab += name.encode() + b"\0"
        rel_names = {}
        for target in self.relocs:
            rel_names[target] = len(strtab)
            strtab += b".rel" + self.sections[target - 1].name.encode() + b"\0"
        symtab_name = len(strtab)
        strtab += b".symtab\0"
        strtab_name = len(strtab)
        strtab += b".strtab\0"

        n_user = len(self.sections)
        symtab_index = n_user + 1
        strtab_index = n_user + 2
        symtab = bytearray(24)
        for (_, shndx, value, size, stype, bind), name_off in zip(self.symbols, sym_names,
                                                                   strict=True):  # fmt: skip
            symtab += struct.pack("<IBBHQQ", name_off, (bind << 4) | stype, 0, shndx, value, size)
        all_secs = list(self.sections)
        all_secs.append(_Sec(".symtab", bytes(symtab), SHT_SYMTAB, 0, len(symtab),
                             link=strtab_index, info=1, entsize=24))  # fmt: skip
        all_secs.append(_Sec(".strtab", bytes(strtab), SHT_STRTAB, 0, len(strtab), align=1))
        name_offs = [*names, symtab_name, strtab_name]
        for target, entries in self.relocs.items():
            data = b"".join(struct.pack("<QQ", off, (sym << 32) | rtype)
                            for off, sym, rtype in entries)  # fmt: skip
            all_secs.append(_Sec(".rel", data, SHT_REL, 0, len(data), link=symtab_index,
                                 info=target, entsize=16))  # fmt: skip
            name_offs.append(rel_names[target])

        body = bytearray(64)
        offsets = []
        for sec in all_secs:
            while len(body) % 8:
                body += b"\0"
            offsets.append(len(body))
            body += sec.data
        while len(body) % 8:
            body += b"\0"
        shoff = len(body)
        body += bytes(64)  # null section header
        for sec, off, name_off in zip(all_secs, offsets, name_offs, strict=True):
            body += struct.pack("<IIQQQQIIQQ", name_off, sec.type, sec.flags, 0, off, sec.size,
                                sec.link, sec.info, sec.align, sec.entsize)  # fmt: skip
        ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
        header = ident + struct.pack("<HHIQQQIHHHHHH", self.e_type, self.machine, 1, 0, 0, shoff,
                                     0, 64, 0, 0, 64, len(all_secs) + 1, strtab_index)  # fmt: skip
        body[:64] = header
        return bytes(body)
