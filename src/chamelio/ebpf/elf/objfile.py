"""What the ELF loader produces: an :class:`ObjectFile` of maps and linked programs.

Conventions (shared with the interpreter, the verifier and the kernel oracle):

- ``Program.insns`` is *linked*: the subprograms a program calls (from ``.text`` or its own
  section) are appended after it, in first-call order as libbpf does, and every bpf-to-bpf
  call (``call`` with src ``BPF_PSEUDO_CALL``) and function address (``lddw`` with src
  ``BPF_PSEUDO_FUNC``) holds the relative slot offset ``target - pc - 1``.
- A map reference is an ``lddw`` with src ``BPF_PSEUDO_MAP_FD`` (1) and ``imm`` = the map's
  index in ``ObjectFile.maps``; a map value reference has src ``BPF_PSEUDO_MAP_VALUE`` (2),
  the index in the first slot's ``imm`` and the byte offset in the *second* slot's ``imm``,
  as the kernel expects (the kernel oracle swaps indexes for fds).
- Helper calls stay ``call imm``; CO-RE relocations are recorded, not applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chamelio.ebpf.isa import Insn
from chamelio.errors import ChamelioError

# Relocation kinds as they appear in summaries and :attr:`Program.map_relocs`.
RELOC_MAP = "map"  # lddw of a map (src 1)
RELOC_MAP_VALUE = "map_value"  # lddw of an address inside a map's value (src 2)
RELOC_CALL = "call"  # bpf-to-bpf call
RELOC_FUNC = "func_addr"  # lddw of a subprogram's address (src 4)
RELOC_CORE = "core"  # CO-RE relocation from .BTF.ext (recorded only)


class ElfError(ChamelioError):
    """An ELF object that cannot be loaded; the message says where and why."""

    def __init__(self, message: str, section: str | None = None, hint: str | None = None) -> None:
        super().__init__(f"section {section!r}: {message}" if section else message, hint)
        self.section = section
        self.reason = message


@dataclass(slots=True)
class MapDef:
    """One map as the object declares it (kernel numeric ``type``)."""

    name: str
    type: int
    key_size: int
    value_size: int
    max_entries: int
    flags: int = 0
    section: str = ""
    offset: int = 0  # offset of the definition (or data) in its section
    initial: bytes | None = None  # .data/.rodata/.bss contents (.bss: zeros)
    inner: MapDef | None = None  # map-in-map: the inner map's definition
    pinning: int = 0
    numa_node: int = 0
    map_extra: int = 0
    btf_key_type: int = 0  # BTF type ids (0 when unknown), informative
    btf_value_type: int = 0

    @property
    def is_data(self) -> bool:
        """True for a global-data map built from ``.data``/``.rodata``/``.bss``."""
        return self.initial is not None


@dataclass(frozen=True, slots=True)
class MapReloc:
    """``insns[pc]`` (an lddw) refers to ``maps[map_index]`` (plus ``offset`` for a value)."""

    pc: int
    map_index: int
    kind: str  # RELOC_MAP or RELOC_MAP_VALUE
    offset: int = 0
    symbol: str = ""


@dataclass(frozen=True, slots=True)
class CallReloc:
    """``insns[pc]`` calls (or, for ``func_addr``, takes the address of) ``target``."""

    pc: int
    target: int
    callee: str
    kind: str = RELOC_CALL


@dataclass(frozen=True, slots=True)
class LineInfo:
    file: str
    line: int
    column: int
    source: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class CoreReloc:
    """A CO-RE relocation (``struct bpf_core_relo``), recorded but not applied."""

    pc: int
    type_id: int
    access: str
    kind: int


@dataclass(slots=True)
class Program:
    name: str
    section: str
    kind: str  # guessed from the section prefix: "xdp", "socket", "tc", "chamelio/rx" ...
    prog_type: int | None  # kernel enum bpf_prog_type, None when not a kernel program type
    insns: list[Insn]
    code: bytes  # the linked instructions, encoded (what the kernel oracle loads)
    section_offset: int = 0  # byte offset of the entry function in its section
    entry_len: int = 0  # slots of the entry function itself; subprograms follow
    map_relocs: list[MapReloc] = field(default_factory=list)
    calls: list[CallReloc] = field(default_factory=list)
    subprograms: list[tuple[int, str]] = field(default_factory=list)  # (start pc, name)
    line_info: dict[int, LineInfo] = field(default_factory=dict)
    func_info: dict[int, str] = field(default_factory=dict)  # pc -> function name (BTF)
    core_relocs: list[CoreReloc] = field(default_factory=list)
    needs_core: bool = False

    def __len__(self) -> int:
        return len(self.insns)

    def line_at(self, pc: int) -> LineInfo | None:
        """The source line of ``pc``: the nearest line-info record at or before it, within
        the same function (for messages that point at source lines)."""
        if not self.line_info:
            return None
        starts = [0] + [start for start, _ in self.subprograms]
        func_start = max(s for s in starts if s <= pc) if pc >= 0 else 0
        best = max((k for k in self.line_info if func_start <= k <= pc), default=None)
        return None if best is None else self.line_info[best]


@dataclass(slots=True)
class ObjectFile:
    path: str
    license: str
    kern_version: int | None
    maps: list[MapDef]
    programs: list[Program]
    sections: list[tuple[str, int, str]] = field(default_factory=list)  # (name, size, role)
    has_btf: bool = False
    has_btf_ext: bool = False
    warnings: list[str] = field(default_factory=list)

    def program(self, name: str) -> Program:
        """The program called ``name`` (function name first, then section name)."""
        for prog in self.programs:
            if prog.name == name:
                return prog
        for prog in self.programs:
            if prog.section == name:
                return prog
        known = ", ".join(p.name for p in self.programs) or "none"
        raise ElfError(f"no program {name!r} in {self.path} (programs: {known})")

    def map_index(self, name: str) -> int:
        for i, m in enumerate(self.maps):
            if m.name == name:
                return i
        raise ElfError(f"no map {name!r} in {self.path}")

    def reloc_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for prog in self.programs:
            for mr in prog.map_relocs:
                counts[mr.kind] = counts.get(mr.kind, 0) + 1
            for cr in prog.calls:
                counts[cr.kind] = counts.get(cr.kind, 0) + 1
            if prog.core_relocs:
                counts[RELOC_CORE] = counts.get(RELOC_CORE, 0) + len(prog.core_relocs)
        return counts

    def describe(self) -> list[str]:
        """A compact listing for ``chamelio disasm``: sections, maps, programs, relocations."""
        from chamelio.ebpf.elf.describe import describe_object

        return describe_object(self)
