"""Functions of code sections, and linking one program the way libbpf does.

A program is its entry function followed by every subprogram it reaches, appended at the
first call in depth-first order (libbpf's ``bpf_object__reloc_code``). While copying, each
relocation is applied: map references become ``lddw`` with src 1 or 2 and the map index,
bpf-to-bpf calls and function addresses get their final relative offsets.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from chamelio.ebpf.elf.objfile import (
    RELOC_CALL,
    RELOC_FUNC,
    RELOC_MAP,
    RELOC_MAP_VALUE,
    CallReloc,
    ElfError,
    MapDef,
    MapReloc,
)
from chamelio.ebpf.elf.reader import (
    R_BPF_64_32,
    R_BPF_64_64,
    R_BPF_NONE,
    RELOC_NAMES,
    SHN_LORESERVE,
    SHN_UNDEF,
    STB_LOCAL,
    STT_FUNC,
    STT_SECTION,
    RawElf,
    Reloc,
    Section,
    Symbol,
)

OP_LDDW = 0x18
OP_CALL = 0x85
PSEUDO_MAP_FD = 1
PSEUDO_MAP_VALUE = 2
PSEUDO_CALL = 1
PSEUDO_KFUNC_CALL = 2
PSEUDO_FUNC = 4
MAX_PROGRAM_SLOTS = 1_000_000  # the kernel's limit for privileged programs
MAX_OBJECT_SLOTS = 2_000_000  # all linked programs together (the largest sample has 53k)
_IMM = struct.Struct("<i")
_UIMM = struct.Struct("<I")


@dataclass(frozen=True, slots=True)
class Func:
    section: Section
    name: str
    start: int  # byte offsets in the section
    end: int
    is_global: bool

    @property
    def slots(self) -> int:
        return (self.end - self.start) // 8


@dataclass(slots=True)
class Linked:
    code: bytearray
    chunks: list[tuple[Func, int]]  # each copied function and its first pc
    map_relocs: list[MapReloc] = field(default_factory=list)
    calls: list[CallReloc] = field(default_factory=list)


def collect_functions(raw: RawElf) -> dict[int, list[Func]]:
    """The functions of each non-empty code section (the whole section if it has none)."""
    by_section: dict[int, list[Func]] = {}
    for sec in raw.sections:
        if not sec.is_code or sec.size == 0:
            continue
        if sec.size % 8:
            raise ElfError(f"code size {sec.size} is not a multiple of 8", sec.name)
        syms = sorted((s for s in raw.symbols_in(sec.index) if s.type == STT_FUNC),
                      key=lambda s: (s.value, s.index))  # fmt: skip
        if not syms:
            by_section[sec.index] = [Func(sec, sec.name, 0, sec.size, True)]
            continue
        starts = sorted({s.value for s in syms})
        following = dict(zip(starts, [*starts[1:], sec.size], strict=True))
        funcs: list[Func] = []
        for sym in syms:
            if funcs and sym.value == funcs[-1].start:
                continue  # an alias of the previous function
            if sym.value % 8 or sym.value >= sec.size:
                raise ElfError(f"function {sym.label!r} at offset {sym.value} is misplaced",
                               sec.name)  # fmt: skip
            nxt = following[sym.value]
            end = sym.value + sym.size if sym.size else nxt
            if end > sec.size or end % 8 or end > nxt:
                raise ElfError(
                    f"function {sym.label!r} (offset {sym.value}, size {sym.size}) overruns "
                    f"{'the section' if end > sec.size else 'the next function'}",
                    sec.name,
                )
            funcs.append(Func(sec, sym.label, sym.value, end, sym.bind != STB_LOCAL))
        by_section[sec.index] = funcs
    return by_section


class Linker:
    def __init__(
        self,
        raw: RawElf,
        funcs: dict[int, list[Func]],
        map_slots: dict[tuple[int, int], int],
        data_slots: dict[int, int],
        maps: list[MapDef],
    ) -> None:
        self.raw = raw
        self.funcs = funcs
        self.map_slots = map_slots
        self.data_slots = data_slots
        self.maps = maps
        self._relocs: dict[int, dict[int, Reloc]] = {}
        self._starts = {(f.section.index, f.start): f for fs in funcs.values() for f in fs}
        self.total_slots = 0

    # ----------------------------------------------------------- relocation tables
    def relocs(self, sec: Section) -> dict[int, Reloc]:
        table = self._relocs.get(sec.index)
        if table is None:
            table = self._relocs[sec.index] = self._check_relocs(sec)
        return table

    def _check_relocs(self, sec: Section) -> dict[int, Reloc]:
        name = self.raw.rel_names.get(sec.index, sec.name)
        table: dict[int, Reloc] = {}
        for rel in self.raw.relocs.get(sec.index, []):
            # libbpf applies code relocations by instruction, whatever their type; old LLVM
            # wrote R_BPF_NONE here. Types meant for data and debug sections are refused.
            if rel.type not in RELOC_NAMES:
                raise ElfError(f"unknown relocation type {rel.type} at offset {rel.offset}", name)
            if rel.type not in (R_BPF_NONE, R_BPF_64_64, R_BPF_64_32):
                raise ElfError(f"{RELOC_NAMES[rel.type]} at offset {rel.offset} is not valid "
                               f"in code", name)  # fmt: skip
            if rel.addend:
                raise ElfError(f"relocation addend {rel.addend} at offset {rel.offset} is not "
                               "supported", name)  # fmt: skip
            if rel.offset % 8 or rel.offset + 8 > sec.size:
                raise ElfError(
                    f"relocation offset {rel.offset} is not an instruction of the section "
                    f"({sec.size} bytes)",
                    name,
                )
            if rel.offset in table:
                raise ElfError(f"two relocations at offset {rel.offset}", name)
            self.raw.symbol(rel.sym, name)
            table[rel.offset] = rel
        return table

    def func_at(self, sec: Section, offset: int) -> Func | None:
        return self._starts.get((sec.index, offset))

    # ------------------------------------------------------------------- linking
    def link(self, entry: Func) -> Linked:
        out = Linked(bytearray(), [])
        placed: dict[tuple[int, int], int] = {}

        def place(func: Func) -> int:
            base = len(out.code) // 8
            self.total_slots += func.slots
            if base + func.slots > MAX_PROGRAM_SLOTS:
                raise ElfError(f"program {entry.name!r} exceeds {MAX_PROGRAM_SLOTS} instructions "
                               "once its subprograms are appended", entry.section.name)  # fmt: skip
            if self.total_slots > MAX_OBJECT_SLOTS:
                raise ElfError(f"the programs exceed {MAX_OBJECT_SLOTS} instructions in total "
                               "once subprograms are appended")  # fmt: skip
            out.code += func.section.data[func.start : func.end]
            placed[(func.section.index, func.start)] = base
            out.chunks.append((func, base))
            return base

        stack = [(entry, place(entry), 0)]
        while stack:
            func, base, i = stack.pop()
            while i < func.slots:
                callee = self._insn(func, base, i, out, placed)
                if callee is not None:  # first call: copy it, link it, then come back
                    stack.append((func, base, i))
                    stack.append((callee, place(callee), 0))
                    break
                i += 2 if out.code[(base + i) * 8] == OP_LDDW else 1
        return out

    def _insn(
        self, func: Func, base: int, i: int, out: Linked, placed: dict[tuple[int, int], int]
    ) -> Func | None:
        """Apply the relocation of slot ``i``; return an unplaced callee to copy first."""
        sec = func.section
        off = func.start + i * 8
        pc = base + i
        code = out.code
        opcode, regs = code[pc * 8], code[pc * 8 + 1]
        src = regs >> 4
        (imm,) = _IMM.unpack_from(code, pc * 8 + 4)
        rel = self.relocs(sec).get(off)
        if opcode == OP_LDDW:
            if i + 1 >= func.slots:
                raise ElfError(f"lddw at offset {off} is cut off by the end of {func.name!r}",
                               sec.name)  # fmt: skip
            if off + 8 in self.relocs(sec):
                raise ElfError(f"relocation at offset {off + 8} points into an lddw", sec.name)
            if rel is None:
                return None
            return self._lddw(func, pc, imm, rel, out, placed)
        if opcode == OP_CALL and (src == PSEUDO_CALL or rel is not None):
            return self._call(func, pc, off, src, imm, rel, out, placed)
        if rel is not None:
            sym = self.raw.symbols[rel.sym]
            raise ElfError(
                f"relocation against {sym.label!r} at offset {off} targets an instruction "
                f"with opcode {opcode:#04x}, not lddw or call",
                sec.name,
            )
        return None

    def _target(self, sym: Symbol, where: str) -> Section:
        if sym.shndx == SHN_UNDEF:
            raise ElfError(
                f"reference to undefined symbol {sym.label!r} (externs, kfuncs and .kconfig "
                f"are not supported)",
                where,
            )
        if sym.shndx >= SHN_LORESERVE:
            raise ElfError(f"symbol {sym.label!r} has special section index {sym.shndx:#x}",
                           where)  # fmt: skip
        return self.raw.section(sym.shndx, f"symbol {sym.label!r} section")

    def _call(
        self, func: Func, pc: int, off: int, src: int, imm: int, rel: Reloc | None,
        out: Linked, placed: dict[tuple[int, int], int],
    ) -> Func | None:  # fmt: skip
        sec = func.section
        if rel is not None:
            sym = self.raw.symbols[rel.sym]
            if sym.shndx == SHN_UNDEF:
                what = "kfunc" if src == PSEUDO_KFUNC_CALL else "function"
                raise ElfError(
                    f"call at offset {off} to undefined {what} {sym.label!r} (only helpers and "
                    "functions defined in the object can be called)",
                    sec.name,
                )
            if src != PSEUDO_CALL:
                raise ElfError(f"call at offset {off} has a relocation but src {src}", sec.name)
            tsec = self._target(sym, sec.name)
            if sym.value % 8:
                raise ElfError(f"call target {sym.label!r} is not instruction aligned", sec.name)
            target = sym.value + (imm + 1) * 8
            label = sym.label if sym.type == STT_FUNC else None
        else:
            tsec, target, label = sec, off + (imm + 1) * 8, None
        if not tsec.is_code or not 0 <= target < tsec.size:
            raise ElfError(
                f"call at offset {off} goes to offset {target} of {tsec.name!r}: into nothing",
                sec.name,
            )
        if tsec.index == sec.index and func.start <= target < func.end:
            tpc, name = pc - (off - target) // 8, label or f"{func.name}+{target - func.start}"
        else:
            callee = self.func_at(tsec, target)
            if callee is None:
                raise ElfError(
                    f"call at offset {off} goes to offset {target} of {tsec.name!r}, "
                    f"which is not the start of a function",
                    sec.name,
                )
            key = (tsec.index, target)
            if key not in placed:
                return callee
            tpc, name = placed[key], callee.name
        _patch(out.code, pc, src=PSEUDO_CALL, imm=tpc - pc - 1)
        out.calls.append(CallReloc(pc, tpc, name, RELOC_CALL))
        return None

    def _lddw(
        self, func: Func, pc: int, imm: int, rel: Reloc, out: Linked,
        placed: dict[tuple[int, int], int],
    ) -> Func | None:  # fmt: skip
        sec = func.section
        sym = self.raw.symbols[rel.sym]
        tsec = self._target(sym, sec.name)
        if tsec.is_code:  # address of a subprogram (callbacks: bpf_loop, for_each...)
            target = sym.value + imm
            callee = self.func_at(tsec, target) if target % 8 == 0 else None
            if callee is None:
                raise ElfError(f"function address {sym.label!r}+{imm} is not a function",
                               sec.name)  # fmt: skip
            key = (tsec.index, target)
            if key not in placed:
                return callee
            tpc = placed[key]
            _patch(out.code, pc, src=PSEUDO_FUNC, imm=tpc - pc - 1)
            out.calls.append(CallReloc(pc, tpc, callee.name, RELOC_FUNC))
            return None
        if tsec.index in self.data_slots:
            index = self.data_slots[tsec.index]
            value = imm + sym.value
            size = self.maps[index].value_size
            if not 0 <= value < size:
                raise ElfError(
                    f"reference to {sym.label!r}+{imm} is outside {tsec.name!r} ({size} bytes)",
                    sec.name,
                )
            _patch(out.code, pc, src=PSEUDO_MAP_VALUE, imm=index)
            _UIMM.pack_into(out.code, (pc + 1) * 8 + 4, value)
            out.map_relocs.append(MapReloc(pc, index, RELOC_MAP_VALUE, value, sym.label))
            return None
        map_off = imm if sym.type == STT_SECTION else sym.value
        index_or_none = self.map_slots.get((tsec.index, map_off))
        if index_or_none is None:
            raise ElfError(
                f"lddw refers to {sym.label!r} in {tsec.name!r}, which is no map, global data "
                "or code",
                sec.name,
            )
        _patch(out.code, pc, src=PSEUDO_MAP_FD, imm=index_or_none)
        out.map_relocs.append(MapReloc(pc, index_or_none, RELOC_MAP, 0, sym.label))
        return None


def _patch(code: bytearray, pc: int, src: int, imm: int) -> None:
    code[pc * 8 + 1] = (code[pc * 8 + 1] & 0x0F) | (src << 4)
    _IMM.pack_into(code, pc * 8 + 4, imm)
