"""``load_object``: an eBPF ELF object file -> :class:`ObjectFile`, following libbpf.

Programs are the functions of every code section other than ``.text`` (several per section);
``.text`` holds subprograms, unless nothing else holds code, in which case its global
functions are the programs. Anything invalid raises :class:`ElfError`.
"""

from __future__ import annotations

import os
import struct

from chamelio.ebpf import isa
from chamelio.ebpf.elf.btf import Btf, BtfExt, parse_btf_ext
from chamelio.ebpf.elf.linker import Func, Linked, Linker, collect_functions
from chamelio.ebpf.elf.mapdefs import (
    MapSlot,
    btf_maps,
    data_maps,
    data_section_kind,
    is_legacy_maps,
    legacy_maps,
)
from chamelio.ebpf.elf.objfile import (
    CoreReloc,
    ElfError,
    LineInfo,
    ObjectFile,
    Program,
)
from chamelio.ebpf.elf.progtypes import guess_kind
from chamelio.ebpf.elf.reader import SHT_NOBITS, SHT_PROGBITS, RawElf, Section, read_elf
from chamelio.errors import ChamelioError

MAX_OBJECT_SIZE = 256 << 20


def load_object(source: str | os.PathLike[str] | bytes, name: str | None = None) -> ObjectFile:
    """Load an eBPF ELF object from a path or from its bytes (``name`` labels messages)."""
    if isinstance(source, bytes | bytearray | memoryview):
        data, path = bytes(source), name or "<bytes>"
    else:
        path = name or os.fspath(source)
        try:
            size = os.path.getsize(source)
            if size > MAX_OBJECT_SIZE:
                raise ElfError(f"{path}: {size} bytes is too large for an eBPF object")
            with open(source, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise ElfError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return _load(data, path)
    except ElfError as exc:  # name the file in every message
        err = ElfError(f"{path}: {exc.message}", hint=exc.hint)
        err.section, err.reason = exc.section, exc.reason
        raise err from None


def _load(data: bytes, path: str) -> ObjectFile:
    raw = read_elf(data)
    obj = ObjectFile(path, _license(raw), _kern_version(raw), [], [])
    btf, ext = _btf(raw, obj)
    slots: list[MapSlot] = []
    legacy_maps(raw, obj.maps, slots)
    for sec in raw.sections:
        if sec.name == ".maps" and sec.type == SHT_PROGBITS:
            obj.warnings += btf_maps(raw, sec, btf, obj.maps, slots)
    n_user = len(slots)
    data_maps(raw, obj.maps, slots)
    funcs = collect_functions(raw)
    linker = Linker(
        raw,
        funcs,
        {(s.section, s.offset): s.index for s in slots[:n_user]},
        {s.section: s.index for s in slots[n_user:]},
        obj.maps,
    )
    for entry in _entries(raw, funcs):
        obj.programs.append(_program(linker, entry, btf, ext))
    obj.sections = [(s.name, s.size, _role(s, funcs)) for s in raw.sections[1:]]
    return obj


def _license(raw: RawElf) -> str:
    for sec in raw.sections:
        if sec.name == "license":
            return sec.data.split(b"\0", 1)[0].decode("utf-8", errors="replace")
    return ""


def _kern_version(raw: RawElf) -> int | None:
    for sec in raw.sections:
        if sec.name == "version":
            if sec.size != 4:
                raise ElfError(f"kernel version section of {sec.size} bytes (expected 4)",
                               sec.name)  # fmt: skip
            return int(struct.unpack("<I", sec.data)[0])
    return None


def _btf(raw: RawElf, obj: ObjectFile) -> tuple[Btf | None, BtfExt | None]:
    """BTF is needed for ``.maps``; otherwise a broken .BTF only costs line info (a warning)."""
    by_name = {s.name: s for s in raw.sections}
    sec = by_name.get(".BTF")
    if sec is None:
        return None, None
    obj.has_btf = True
    try:
        btf = Btf(sec.data, sec.name)
    except ElfError as exc:
        if ".maps" in by_name:
            raise
        obj.warnings.append(f"BTF ignored: {exc}")
        return None, None
    ext_sec = by_name.get(".BTF.ext")
    if ext_sec is None:
        return btf, None
    obj.has_btf_ext = True
    try:
        return btf, parse_btf_ext(ext_sec.data, btf, ext_sec.name)
    except ElfError as exc:
        obj.warnings.append(f"BTF.ext ignored: {exc}")
        return btf, None


def _entries(raw: RawElf, funcs: dict[int, list[Func]]) -> list[Func]:
    entries = [f for idx, fs in funcs.items() if raw.sections[idx].name != ".text" for f in fs]
    if entries:
        return entries
    text = [f for idx, fs in funcs.items() if raw.sections[idx].name == ".text" for f in fs]
    return [f for f in text if f.is_global] or text


def _program(linker: Linker, entry: Func, btf: Btf | None, ext: BtfExt | None) -> Program:
    section = entry.section.name
    linked = linker.link(entry)
    code = bytes(linked.code)
    try:
        insns = isa.decode(code)
    except ChamelioError as exc:
        raise ElfError(f"program {entry.name!r}: {exc.message}", section) from None
    kind, prog_type = guess_kind(section)
    prog = Program(
        name=entry.name,
        section=section,
        kind=kind,
        prog_type=prog_type,
        insns=insns,
        code=code,
        section_offset=entry.start,
        entry_len=entry.slots,
        map_relocs=linked.map_relocs,
        calls=linked.calls,
        subprograms=[(base, f.name) for f, base in linked.chunks[1:]],
    )
    if ext is not None and btf is not None:
        _attach_ext(prog, linked, btf, ext)
    return prog


def _attach_ext(prog: Program, linked: Linked, btf: Btf, ext: BtfExt) -> None:
    """Map ``.BTF.ext`` records (section byte offsets) onto the linked program's pcs."""
    for func, base in linked.chunks:
        sec, start, end = func.section.name, func.start, func.end
        for r in ext.lines_in(sec, start, end):
            if r.insn_off % 8 == 0:
                pc = base + (r.insn_off - start) // 8
                prog.line_info[pc] = LineInfo(r.file, r.line, r.column, r.source)
        for f in ext.funcs_in(sec, start, end):
            if f.insn_off % 8 == 0 and 0 < f.type_id < len(btf.types):
                prog.func_info[base + (f.insn_off - start) // 8] = btf.types[f.type_id].name
        for c in ext.core_in(sec, start, end):
            pc = base + (c.insn_off - start) // 8
            prog.core_relocs.append(CoreReloc(pc, c.type_id, c.access, c.kind))
    prog.needs_core = bool(prog.core_relocs)


def _role(sec: Section, funcs: dict[int, list[Func]]) -> str:
    name = sec.name
    if sec.index in funcs:
        return "code"
    if sec.is_code:
        return "code (empty)"
    if name == "license":
        return "license"
    if name == "version":
        return "kernel version"
    if is_legacy_maps(name):
        return "maps (legacy)"
    if name == ".maps":
        return "maps (BTF)"
    if data_section_kind(name) and sec.type in (SHT_PROGBITS, SHT_NOBITS):
        return "global data"
    if name in (".BTF", ".BTF.ext"):
        return "BTF"
    return ""
