"""A minimal BTF reader: enough to read ``.maps`` definitions and ``.BTF.ext`` records.

Layouts follow ``include/uapi/linux/btf.h`` (little-endian only). Every offset and count is
checked against the section size, and every type walk is depth-limited, so corrupt input
raises :class:`ElfError` naming the section instead of crashing or looping.
"""

from __future__ import annotations

import struct
from bisect import bisect_left
from dataclasses import dataclass, field

from chamelio.ebpf.elf.objfile import ElfError

BTF_MAGIC = 0xEB9F

KIND_INT = 1
KIND_PTR = 2
KIND_ARRAY = 3
KIND_STRUCT = 4
KIND_UNION = 5
KIND_ENUM = 6
KIND_FWD = 7
KIND_TYPEDEF = 8
KIND_VOLATILE = 9
KIND_CONST = 10
KIND_RESTRICT = 11
KIND_FUNC = 12
KIND_FUNC_PROTO = 13
KIND_VAR = 14
KIND_DATASEC = 15
KIND_FLOAT = 16
KIND_DECL_TAG = 17
KIND_TYPE_TAG = 18
KIND_ENUM64 = 19

KIND_NAMES = {
    KIND_INT: "int", KIND_PTR: "ptr", KIND_ARRAY: "array", KIND_STRUCT: "struct",
    KIND_UNION: "union", KIND_ENUM: "enum", KIND_FWD: "fwd", KIND_TYPEDEF: "typedef",
    KIND_VOLATILE: "volatile", KIND_CONST: "const", KIND_RESTRICT: "restrict",
    KIND_FUNC: "func", KIND_FUNC_PROTO: "func_proto", KIND_VAR: "var",
    KIND_DATASEC: "datasec", KIND_FLOAT: "float", KIND_DECL_TAG: "decl_tag",
    KIND_TYPE_TAG: "type_tag", KIND_ENUM64: "enum64",
}  # fmt: skip

_MODIFIERS = frozenset({KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT, KIND_TYPE_TAG})
_SIZED = frozenset({KIND_INT, KIND_STRUCT, KIND_UNION, KIND_ENUM, KIND_ENUM64, KIND_FLOAT,
                    KIND_DATASEC})  # fmt: skip
_MAX_DEPTH = 32
_U32 = struct.Struct("<I")
_HDR = struct.Struct("<HBBIIIII")
_TYPE = struct.Struct("<III")
_TRIPLE = struct.Struct("<III")
_PAIR = struct.Struct("<II")


@dataclass(slots=True)
class BtfType:
    kind: int
    name: str
    size_or_type: int  # size for sized kinds, the referenced type id otherwise
    vlen: int
    kind_flag: bool
    # struct/union members (name, type, bit offset); datasec ('', var type, offset);
    # func_proto params (name, type, 0); enum values (name, value, 0)
    members: list[tuple[str, int, int]] = field(default_factory=list)
    array: tuple[int, int, int] | None = None  # (element type, index type, nelems)

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, f"kind{self.kind}")


class Btf:
    """The types and strings of a ``.BTF`` section (type id 0 is ``void``)."""

    def __init__(self, data: bytes, section: str = ".BTF") -> None:
        self.section = section
        if len(data) < _HDR.size:
            self._fail(f"too short for a BTF header ({len(data)} bytes)")
        magic, version, _flags, hdr_len, type_off, type_len, str_off, str_len = _HDR.unpack_from(
            data, 0
        )
        if magic == 0x9FEB:
            raise ElfError("big-endian BTF is not supported", section, hint="build for bpfel")
        if magic != BTF_MAGIC:
            self._fail(f"bad magic {magic:#06x}")
        if version != 1:
            self._fail(f"unsupported BTF version {version}")
        if hdr_len < _HDR.size or hdr_len > len(data):
            self._fail(f"bad header length {hdr_len}")
        body = data[hdr_len:]
        if type_off + type_len > len(body) or str_off + str_len > len(body):
            self._fail("type or string area extends past the section")
        self.strings = body[str_off : str_off + str_len]
        self.types: list[BtfType] = [BtfType(0, "", 0, 0, False)]
        self._parse_types(body[type_off : type_off + type_len])

    def _fail(self, message: str) -> None:
        raise ElfError(message, self.section)

    def string(self, off: int) -> str:
        if off == 0:
            return ""
        if off >= len(self.strings):
            self._fail(f"string offset {off} out of range ({len(self.strings)} bytes)")
        end = self.strings.find(b"\0", off)
        if end < 0:
            end = len(self.strings)
        return self.strings[off:end].decode("utf-8", errors="replace")

    def _parse_types(self, raw: bytes) -> None:
        pos = 0
        while pos < len(raw):
            if pos + _TYPE.size > len(raw):
                self._fail(f"truncated type #{len(self.types)}")
            name_off, info, size_or_type = _TYPE.unpack_from(raw, pos)
            pos += _TYPE.size
            kind = (info >> 24) & 0x1F
            vlen = info & 0xFFFF
            t = BtfType(kind, self.string(name_off), size_or_type, vlen, bool(info >> 31))
            need = self._extra_size(kind, vlen)
            if pos + need > len(raw):
                self._fail(f"truncated type #{len(self.types)} ({t.kind_name} {t.name!r})")
            if kind == KIND_ARRAY:
                t.array = _TRIPLE.unpack_from(raw, pos)
            elif kind in (KIND_STRUCT, KIND_UNION, KIND_DATASEC):
                for i in range(vlen):
                    a, b, c = _TRIPLE.unpack_from(raw, pos + 12 * i)
                    if kind == KIND_DATASEC:  # (var type, offset, size): keep type, offset
                        t.members.append(("", a, b))
                    else:
                        t.members.append((self.string(a), b, c))
            elif kind in (KIND_FUNC_PROTO, KIND_ENUM):
                for i in range(vlen):
                    a, b = _PAIR.unpack_from(raw, pos + 8 * i)
                    t.members.append((self.string(a), b, 0))
            pos += need
            self.types.append(t)

    def _extra_size(self, kind: int, vlen: int) -> int:
        if kind in (KIND_INT, KIND_VAR, KIND_DECL_TAG):
            return 4
        if kind == KIND_ARRAY:
            return 12
        if kind in (KIND_STRUCT, KIND_UNION, KIND_DATASEC, KIND_ENUM64):
            return 12 * vlen
        if kind in (KIND_ENUM, KIND_FUNC_PROTO):
            return 8 * vlen
        if kind in (KIND_PTR, KIND_FWD, KIND_FUNC, KIND_FLOAT) or kind in _MODIFIERS:
            return 0
        self._fail(f"unknown BTF kind {kind} (type #{len(self.types)})")
        return 0

    # ------------------------------------------------------------------ queries
    def type(self, type_id: int) -> BtfType:
        if not 0 <= type_id < len(self.types):
            self._fail(f"type id {type_id} out of range ({len(self.types) - 1} types)")
        return self.types[type_id]

    def skip_mods(self, type_id: int) -> tuple[int, BtfType]:
        """Follow typedef/const/volatile/restrict/type_tag to the underlying type."""
        for _ in range(_MAX_DEPTH):
            t = self.type(type_id)
            if t.kind not in _MODIFIERS:
                return type_id, t
            type_id = t.size_or_type
        self._fail(f"type chain too deep at type id {type_id}")
        raise AssertionError("unreachable")

    def size_of(self, type_id: int, depth: int = 0) -> int:
        if depth > _MAX_DEPTH:
            self._fail(f"type chain too deep at type id {type_id}")
        type_id, t = self.skip_mods(type_id)
        if t.kind in _SIZED:
            return t.size_or_type
        if t.kind == KIND_PTR:
            return 8
        if t.kind == KIND_VAR:
            return self.size_of(t.size_or_type, depth + 1)
        if t.kind == KIND_ARRAY and t.array is not None:
            return t.array[2] * self.size_of(t.array[0], depth + 1)
        self._fail(f"type id {type_id} ({t.kind_name} {t.name!r}) has no size")
        return 0

    def datasec(self, name: str) -> BtfType | None:
        for t in self.types:
            if t.kind == KIND_DATASEC and t.name == name:
                return t
        return None


# ---------------------------------------------------------------------- .BTF.ext
@dataclass(frozen=True, slots=True)
class ExtLine:
    insn_off: int  # bytes from the start of the section
    file: str
    source: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class ExtCore:
    insn_off: int
    type_id: int
    access: str
    kind: int


@dataclass(frozen=True, slots=True)
class ExtFunc:
    insn_off: int
    type_id: int


@dataclass(slots=True)
class BtfExt:
    """``.BTF.ext`` records grouped by the ELF section they describe, sorted by offset."""

    funcs: dict[str, list[ExtFunc]] = field(default_factory=dict)
    lines: dict[str, list[ExtLine]] = field(default_factory=dict)
    core: dict[str, list[ExtCore]] = field(default_factory=dict)
    _offsets: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def _finish(self) -> None:
        for kind, table in (("func", self.funcs), ("line", self.lines), ("core", self.core)):
            for sec, records in table.items():
                records.sort(key=lambda r: r.insn_off)
                self._offsets[(kind, sec)] = [r.insn_off for r in records]

    def _range(self, kind: str, sec: str, start: int, end: int) -> range:
        offs = self._offsets.get((kind, sec), [])
        return range(bisect_left(offs, start), bisect_left(offs, end))

    def funcs_in(self, sec: str, start: int, end: int) -> list[ExtFunc]:
        """Records of section ``sec`` whose byte offset is in [start, end)."""
        return [self.funcs[sec][i] for i in self._range("func", sec, start, end)]

    def lines_in(self, sec: str, start: int, end: int) -> list[ExtLine]:
        return [self.lines[sec][i] for i in self._range("line", sec, start, end)]

    def core_in(self, sec: str, start: int, end: int) -> list[ExtCore]:
        return [self.core[sec][i] for i in self._range("core", sec, start, end)]


def parse_btf_ext(data: bytes, btf: Btf, section: str = ".BTF.ext") -> BtfExt:
    if len(data) < 24:
        raise ElfError(f"too short for a BTF.ext header ({len(data)} bytes)", section)
    magic, version, _flags, hdr_len = struct.unpack_from("<HBBI", data, 0)
    if magic != BTF_MAGIC:
        raise ElfError(f"bad magic {magic:#06x}", section)
    if version != 1:
        raise ElfError(f"unsupported BTF.ext version {version}", section)
    if hdr_len < 24 or hdr_len > len(data):
        raise ElfError(f"bad header length {hdr_len}", section)
    fi_off, fi_len, li_off, li_len = struct.unpack_from("<IIII", data, 8)
    core_off = core_len = 0
    if hdr_len >= 32:
        core_off, core_len = struct.unpack_from("<II", data, 24)
    body = data[hdr_len:]
    ext = BtfExt()
    for sec, off, rec in _info_blocks(body, fi_off, fi_len, 8, section, "func_info"):
        ext.funcs.setdefault(btf.string(sec), []).extend(
            ExtFunc(*_PAIR.unpack_from(body, o)) for o in _offsets(off, rec)
        )
    for sec, off, rec in _info_blocks(body, li_off, li_len, 16, section, "line_info"):
        out = ext.lines.setdefault(btf.string(sec), [])
        for o in _offsets(off, rec):
            insn_off, file_off, line_off, line_col = struct.unpack_from("<IIII", body, o)
            out.append(ExtLine(insn_off, btf.string(file_off), btf.string(line_off),
                               line_col >> 10, line_col & 0x3FF))  # fmt: skip
    for sec, off, rec in _info_blocks(body, core_off, core_len, 16, section, "core_relo"):
        cout = ext.core.setdefault(btf.string(sec), [])
        for o in _offsets(off, rec):
            insn_off, type_id, access_off, kind = struct.unpack_from("<IIII", body, o)
            cout.append(ExtCore(insn_off, type_id, btf.string(access_off), kind))
    ext._finish()
    return ext


def _offsets(block: tuple[int, int], rec: int) -> range:
    start, count = block
    return range(start, start + count * rec, rec)


def _info_blocks(
    body: bytes, off: int, length: int, min_rec: int, section: str, what: str
) -> list[tuple[int, tuple[int, int], int]]:
    """(section name offset, (first record offset, record count), record size) per block."""
    if length == 0:
        return []
    if off + length > len(body) or length < 4:
        raise ElfError(f"{what} extends past the section", section)
    (rec,) = _U32.unpack_from(body, off)
    if rec < min_rec or rec % 4:
        raise ElfError(f"{what} record size {rec} is invalid", section)
    pos, end = off + 4, off + length
    blocks = []
    while pos < end:
        if pos + 8 > end:
            raise ElfError(f"{what} block header truncated", section)
        sec, count = _PAIR.unpack_from(body, pos)
        pos += 8
        if count == 0 or pos + count * rec > end:
            raise ElfError(f"{what} block has a bad record count {count}", section)
        blocks.append((sec, (pos, count), rec))
        pos += count * rec
    return blocks
