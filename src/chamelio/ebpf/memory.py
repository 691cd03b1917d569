"""The interpreter's checked memory: typed regions in a sparse 64-bit address space.

A pointer is a plain integer, as in the kernel, so pointer arithmetic works unchanged. Each
:class:`Region` (context, packet, stack frame, map value, flow state ...) sits at its own
base, far from every other one, and every load and store resolves its region and checks
that ``[addr, addr + size)`` lies inside it (and that it is writable for a store). A miss
raises :class:`Fault`; the interpreter turns it into a :class:`Trap` naming the pc and the
instruction.

Context regions follow the kernel's access rules: a load must match a field of the layout
(a narrower load of a scalar field is allowed), a store needs a writable field, and a
pointer field narrower than 8 bytes (``xdp_md.data`` is a ``__u32``) loads as the full
64-bit pointer, as the kernel's context-access rewriting does.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterator
from dataclasses import dataclass, field

from chamelio.abi import ContextLayout, ValueKind
from chamelio.ebpf.maps import MapValue
from chamelio.errors import ChamelioError

# Where each kind of region lives. The gaps are huge so that no offset a program can form
# from one region (a 16-bit insn offset plus any sane index) lands in another.
CTX_BASE = 0x1000_0000
PACKET_BASE = 0x2000_0000  # also the conformance suite's input memory
FLOW_BASE = 0x3000_0000
PFLOW_BASE = 0x3800_0000
STACK_TOP = 0x7FFF_0000_0000  # r10 of the entry frame
FRAME_SPAN = 0x10_0000  # distance between the tops of nested frames
MAP_REF_BASE = 0x5000_0000_0000_0000  # opaque map references (lddw src 1): no region
MAP_REF_STRIDE = 0x1_0000
CODE_BASE = 0x6000_0000_0000_0000  # subprogram addresses (lddw src 4): no region
MAP_VALUE_BASE = 0x4000_0000_0000_0000
MAP_VALUE_SPAN = 1 << 44  # address space of one map's values
VALUE_GUARD = 4096  # unmapped bytes after every map value


class RegionKind(enum.Enum):
    CTX = "context"
    PACKET = "packet"
    MEM = "input memory"
    STACK = "stack"
    MAP_VALUE = "map value"
    FLOW = "flow state"
    PFLOW = "provider flow state"
    OTHER = "memory"


@dataclass(eq=False, slots=True)
class Region:
    """``size`` bytes at ``base``; ``data`` is the live buffer the program reads and writes."""

    kind: RegionKind
    base: int
    data: bytearray
    writable: bool = True
    name: str = ""
    owner: MapValue | None = None  # a map value: dead once its entry is deleted
    layout: ContextLayout | None = None  # a context: loads and stores go by field
    pointers: dict[int, int] = field(default_factory=dict)  # ctx offset -> 64-bit pointer
    dead: str | None = None  # why the region may no longer be used (a returned frame)

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def end(self) -> int:
        return self.base + len(self.data)

    def describe(self) -> str:
        label = self.name or self.kind.value
        return f"{label} [{self.base:#x}, {self.end:#x})"


class Fault(Exception):
    """A bad access or operation, before the interpreter adds the pc and the instruction
    (never user-facing: the interpreter turns it into a :class:`Trap`). ``pc`` overrides the
    pc the interpreter was at, for faults detected one step late (a bad jump target)."""

    def __init__(self, message: str, pc: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pc = pc


class Trap(ChamelioError):
    """The program did something the checked machine forbids (exit code 1 in the CLI)."""

    exit_code = 1

    def __init__(self, pc: int | None, message: str, hint: str | None = None) -> None:
        super().__init__(message if pc is None else f"pc {pc}: {message}", hint)
        self.pc = pc
        self.reason = message


class Memory:
    """A set of non-overlapping regions with checked byte access."""

    def __init__(self) -> None:
        self._bases: list[int] = []
        self._regions: dict[int, Region] = {}
        self._last: Region | None = None

    def __iter__(self) -> Iterator[Region]:
        return iter(self._regions[b] for b in self._bases)

    def add(self, region: Region) -> Region:
        """Map ``region``; a region already at the same base is replaced (a reused frame)."""
        old = self._regions.get(region.base)
        if old is None:
            at = bisect.bisect_right(self._bases, region.base)
            neighbours = [self._regions[b] for b in self._bases[max(0, at - 1) : at + 1]]
            for other in neighbours:
                if region.base < other.end and other.base < region.end:
                    raise ValueError(f"{region.describe()} overlaps {other.describe()}")
            self._bases.insert(at, region.base)
        self._regions[region.base] = region
        self._last = None
        return region

    def remove(self, region: Region) -> None:
        if self._regions.get(region.base) is region:
            del self._regions[region.base]
            self._bases.remove(region.base)
        self._last = None

    def clear(self) -> None:
        self._bases.clear()
        self._regions.clear()
        self._last = None

    def find(self, addr: int) -> Region | None:
        """The region containing ``addr`` (or starting before it, for error messages)."""
        at = bisect.bisect_right(self._bases, addr) - 1
        return self._regions[self._bases[at]] if at >= 0 else None

    # -- checked access -------------------------------------------------------------------
    def resolve(self, addr: int, size: int, write: bool) -> tuple[Region, int]:
        """The region holding ``[addr, addr+size)`` and the offset of ``addr`` in it."""
        region = self._last
        if region is None or not region.base <= addr or addr + size > region.end:
            region = self.find(addr)
            if region is None or addr + size > region.end or addr < region.base:
                raise Fault(self._miss(addr, size, write, region))
            self._last = region
        if region.dead is not None:
            raise Fault(f"{_verb(write)} {_span(addr, size)} in {region.describe()}: {region.dead}")
        owner = region.owner
        if owner is not None and not owner.live:
            raise Fault(
                f"{_verb(write)} {_span(addr, size)} in {region.describe()}: the map entry "
                "was deleted (use after delete)"
            )
        if write and not region.writable and region.layout is None:
            raise Fault(f"store to {_span(addr, size)}: {region.describe()} is read-only")
        return region, addr - region.base

    def _miss(self, addr: int, size: int, write: bool, near: Region | None) -> str:
        what = f"{_verb(write)} {_span(addr, size)}"
        if near is not None and addr < near.end:
            return f"{what} runs {addr + size - near.end} byte(s) past the end of {near.describe()}"
        if near is not None and addr < near.end + VALUE_GUARD:
            return f"{what} starts {addr - near.end} byte(s) past the end of {near.describe()}"
        at = bisect.bisect_right(self._bases, addr)
        if at < len(self._bases) and self._bases[at] - addr <= VALUE_GUARD:
            above = self._regions[self._bases[at]]
            return f"{what} starts {above.base - addr} byte(s) before {above.describe()}"
        if addr < 0x1000:
            return f"{what}: null pointer dereference (address {addr:#x})"
        return f"{what} is outside every region this program may access"

    def load(self, addr: int, size: int) -> int:
        region, off = self.resolve(addr, size, False)
        if region.layout is not None:
            return self._ctx_load(region, off, size)
        return int.from_bytes(region.data[off : off + size], "little")

    def store(self, addr: int, size: int, value: int) -> None:
        region, off = self.resolve(addr, size, True)
        if region.layout is not None:
            self._ctx_store_check(region, off, size)
        region.data[off : off + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")

    def read(self, addr: int, size: int) -> bytes:
        """Raw bytes (what a helper reads); context regions are read as stored."""
        if size < 0:
            raise Fault(f"read of negative size {size}")
        if size == 0:
            return b""
        region, off = self.resolve(addr, size, False)
        return bytes(region.data[off : off + size])

    def write(self, addr: int, data: bytes) -> None:
        if not data:
            return
        region, off = self.resolve(addr, len(data), True)
        if region.layout is not None:
            self._ctx_store_check(region, off, len(data))
        region.data[off : off + len(data)] = data

    # -- context rules --------------------------------------------------------------------
    @staticmethod
    def _ctx_load(region: Region, off: int, size: int) -> int:
        layout = region.layout
        assert layout is not None
        fld = layout.field_at(off, size)
        if fld is None:
            raise Fault(
                f"invalid context access: no field of {layout.name} covers a {size}-byte "
                f"load at offset {off} (pointer fields must be loaded whole)"
            )
        if fld.kind is not ValueKind.SCALAR and fld.size < 8:
            return region.pointers.get(fld.offset, 0)
        return int.from_bytes(region.data[off : off + size], "little")

    @staticmethod
    def _ctx_store_check(region: Region, off: int, size: int) -> None:
        layout = region.layout
        assert layout is not None
        fld = layout.field_at(off, size)
        if fld is None or not fld.writable:
            name = f"field {layout.name}.{fld.name}" if fld else f"offset {off} of {layout.name}"
            raise Fault(f"invalid context access: {size}-byte store to read-only {name}")


def _verb(write: bool) -> str:
    return "store to" if write else "load from"


def _span(addr: int, size: int) -> str:
    return f"{size} byte(s) at {addr:#x}"


def context_region(layout: ContextLayout, values: dict[str, int], base: int = CTX_BASE) -> Region:
    """A context region for ``layout`` with its fields set from ``values`` (by name).

    Pointer fields narrower than 8 bytes (the kernel's ``__u32 data``) store the pointer's low
    32 bits and load as the whole pointer; 8-byte fields simply store it.
    """
    data = bytearray(layout.size)
    region = Region(RegionKind.CTX, base, data, writable=False, name=f"context ({layout.name})",
                    layout=layout)  # fmt: skip
    for name, value in values.items():
        fld = layout.field(name)
        if fld.kind is not ValueKind.SCALAR and fld.size < 8:
            region.pointers[fld.offset] = value
        mask = (1 << (8 * fld.size)) - 1
        data[fld.offset : fld.end] = (value & mask).to_bytes(fld.size, "little")
    return region
