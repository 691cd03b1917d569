"""The reference interpreter: every cpu v1..v4 instruction over checked memory.

It is the judge in soundness tests, so it never trusts the program. Loads and stores go
through :class:`~chamelio.ebpf.memory.Memory` and trap outside the regions a run grants
(context, packet, stack frames, map values, flow state); so do a jump outside the program,
a call to an unknown (or, under a hook, forbidden) helper, a call deeper than
:data:`MAX_CALL_FRAMES` and running past the instruction limit. A :class:`Trap` names the
pc, the instruction and the address. Helpers are the reference implementations of
:mod:`chamelio.abi`, called through the :class:`~chamelio.abi.HelperEnv` this class
implements.

Example::

    interp = Interpreter(insns, maps, hook="xdp")
    result = interp.run_packet(packet)      # RunResult(r0, insns, packet, ...)
    r0 = Interpreter(insns).run_mem(b"\\x01\\x02").r0   # the conformance way
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chamelio.abi import HELPERS, Helper, Hook
from chamelio.abi import hook as find_hook
from chamelio.ebpf import isa
from chamelio.ebpf.disasm import disassemble, format_insn
from chamelio.ebpf.isa import Insn
from chamelio.ebpf.maps import BpfMap, MapError, MapValue, map_from_def
from chamelio.ebpf.memory import (
    CTX_BASE,
    FLOW_BASE,
    FRAME_SPAN,
    MAP_REF_BASE,
    MAP_REF_STRIDE,
    MAP_VALUE_BASE,
    MAP_VALUE_SPAN,
    PACKET_BASE,
    PFLOW_BASE,
    STACK_TOP,
    VALUE_GUARD,
    Fault,
    Memory,
    Region,
    RegionKind,
    Trap,
    context_region,
)
from chamelio.ebpf.translate import Handler, translate
from chamelio.errors import ChamelioError

if TYPE_CHECKING:
    from chamelio.ebpf.elf.objfile import MapDef

DEFAULT_INSN_LIMIT = 1_000_000
MAX_CALL_FRAMES = 8  # the kernel's MAX_CALL_FRAMES: the entry function plus 7 nested calls
STACK_SIZE = isa.STACK_SIZE
ETH_HLEN = 14
MAY_GOTO_LIMIT = 1 << 23  # BPF_MAX_LOOPS: may_goto falls through this often, then jumps
U64 = (1 << 64) - 1


@dataclass
class FlowIo:
    """What Chamelio's flow helpers reach: the flow's receive and send buffers, the extra
    packets a handler emits and the events it posts to the app."""

    rx_capacity: int = 64 * 1024
    rx: bytearray = field(default_factory=bytearray)
    tx: bytes = b""
    emitted: list[bytes] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    rearms: int = 0


@dataclass(frozen=True, slots=True)
class RunResult:
    """One run: r0 (unsigned 64-bit), instructions executed, and the memory it left."""

    r0: int
    insns: int
    packet: bytes | None = None  # the packet after the run (hook runs)
    mem: bytes | None = None  # the input memory after the run (conformance runs)
    flow: bytes | None = None  # the tenant flow state after the run, when one was given


@dataclass(slots=True)
class _Frame:
    ret: int
    saved: list[int]  # r6..r10 of the caller
    region: Region


class Interpreter:
    """Runs one program (a ``list[Insn]`` indexed by slot) against a list of maps.

    ``maps`` are :class:`~chamelio.ebpf.maps.BpfMap` objects or ELF ``MapDef`` entries;
    ``lddw`` with src 1/2 (or 5/6) refers to them by index. With a ``hook`` only that hook's
    helpers may be called, and :meth:`run_packet` builds its context. The instance keeps its
    maps between runs.
    """

    def __init__(
        self,
        insns: Sequence[Insn],
        maps: Iterable[BpfMap | MapDef] = (),
        *,
        hook: Hook | str | None = None,
        insn_limit: int = DEFAULT_INSN_LIMIT,
        helpers: Mapping[int, Helper] | None = None,
        clock: Callable[[], int] | None = None,
        seed: int = 0,
        io: FlowIo | None = None,
        may_goto_limit: int = MAY_GOTO_LIMIT,
    ) -> None:
        self.insns = list(insns)
        if not self.insns:
            raise ChamelioError("empty program: there is nothing to run")
        isa.validate(self.insns)
        # A map the interpreter cannot model (ring buffer, program array ...) is None, with
        # the reason in map_problems; only a program that uses it traps.
        self.maps: list[BpfMap | None] = []
        self.map_problems: dict[int, str] = {}
        for index, definition in enumerate(maps):
            if isinstance(definition, BpfMap):
                self.maps.append(definition)
                continue
            try:
                self.maps.append(map_from_def(definition))
            except MapError as exc:
                self.maps.append(None)
                self.map_problems[index] = exc.message
        if isinstance(hook, str):
            try:
                hook = find_hook(hook)
            except KeyError as exc:
                raise ChamelioError(str(exc.args[0])) from None
        self.hook: Hook | None = hook
        self.helpers: Mapping[int, Helper] = HELPERS if helpers is None else helpers
        self.insn_limit = insn_limit
        self.clock = clock or time.monotonic_ns
        self.random = random.Random(seed)
        self.io = io or FlowIo()
        self.regs = [0] * isa.NUM_REGS
        self.mem = Memory()
        self.frames: list[_Frame] = []
        self.packet: Region | None = None
        self.may_goto_limit = may_goto_limit
        self.may_goto_budget = 0
        self._run_regions: list[Region] = []
        self._value_regions: dict[int, Region] = {}
        self._frame_regions: dict[int, Region] = {}
        self._code: list[Handler] = translate(self)

    # ------------------------------------------------------------------ running
    def run(self, r1: int = 0, r2: int = 0, r3: int = 0, r4: int = 0, r5: int = 0) -> tuple[int, int]:
        """Run from pc 0 with the argument registers given; ``(r0, instructions executed)``.

        The caller maps the memory the arguments point to (see :meth:`add_region`)."""
        regs = self.regs
        regs[:] = [0, r1 & U64, r2 & U64, r3 & U64, r4 & U64, r5 & U64, 0, 0, 0, 0, 0]
        self.frames.clear()
        for region in self._frame_regions.values():
            self.mem.remove(region)
        self._frame_regions.clear()
        self.may_goto_budget = self.may_goto_limit
        regs[10] = self._new_frame(0).end
        code = self._code
        limit = self.insn_limit
        pc = 0
        count = 0
        try:
            while pc >= 0:
                count += 1
                if count > limit:
                    raise Trap(
                        pc, f"instruction limit of {limit} reached (the program may not terminate)",
                        hint="raise the limit (--insn-limit) if the program is meant to run this long",
                    )  # fmt: skip
                pc = code[pc]()
        except Fault as exc:
            at = pc if exc.pc is None else exc.pc
            raise Trap(at, f"{self.insn_text(at)}: {exc.message}") from None
        return regs[0], count

    def run_mem(self, mem: bytes = b"") -> RunResult:
        """The conformance way: r1 points at a writable copy of ``mem``, r2 holds its length."""
        self._new_run()
        buffer = bytearray(mem)
        if buffer:
            self.add_region(Region(RegionKind.MEM, PACKET_BASE, buffer, name="input memory"))
        r0, count = self.run(PACKET_BASE if buffer else 0, len(buffer))
        return RunResult(r0, count, mem=bytes(buffer))

    def run_packet(
        self,
        packet: bytes,
        *,
        ctx: Mapping[str, int] | None = None,
        flow: bytes | None = None,
        pflow: bytes | None = None,
    ) -> RunResult:
        """Run on ``packet`` with the hook's context (``xdp`` when no hook was given), built the
        way the kernel (or the Chamelio fast path) presents it; ``ctx`` overrides fields."""
        hook = self.hook or find_hook("xdp")
        layout = hook.context
        self._new_run()
        data = bytearray(packet)
        view = data
        if layout.name == "__sk_buff":
            # As the kernel's test run: the socket sees the packet from its network header.
            view = bytearray(data[ETH_HLEN:])
        self.packet = self.add_region(Region(RegionKind.PACKET, PACKET_BASE, view, name="packet"))
        end = PACKET_BASE + len(view)
        values: dict[str, int] = {}
        flow_region: Region | None = None
        if layout.name == "xdp_md":
            values = {"data": PACKET_BASE, "data_end": end, "data_meta": PACKET_BASE,
                      "ingress_ifindex": 1}  # fmt: skip
        elif layout.name == "__sk_buff":
            values = {"len": len(view), "protocol": int.from_bytes(data[12:14], "little")}
        else:
            values = {"data": PACKET_BASE, "data_end": end, "pkt_len": len(data),
                      "tx_avail": len(self.io.tx),
                      "rx_avail": max(0, self.io.rx_capacity - len(self.io.rx)),
                      **_parse_offsets(bytes(data))}  # fmt: skip
            if flow is not None:
                flow_region = self.add_region(
                    Region(RegionKind.FLOW, FLOW_BASE, bytearray(flow), name="flow state"))
                values |= {"flow": FLOW_BASE, "flow_state_size": len(flow)}
            if pflow is not None:
                self.add_region(Region(RegionKind.PFLOW, PFLOW_BASE, bytearray(pflow),
                                       writable=False, name="provider flow state"))  # fmt: skip
                values["pflow"] = PFLOW_BASE
        for name, value in (ctx or {}).items():
            try:
                layout.field(name)
            except KeyError as exc:
                raise ChamelioError(str(exc.args[0])) from None
            values[name] = value
        self.add_region(context_region(layout, values, CTX_BASE))
        r0, count = self.run(CTX_BASE)
        return RunResult(r0, count, packet=bytes(data),
                         flow=bytes(flow_region.data) if flow_region else None)  # fmt: skip

    def _new_run(self) -> None:
        for region in self._run_regions:
            self.mem.remove(region)
        self._run_regions.clear()
        self.packet = None

    def add_region(self, region: Region) -> Region:
        """Grant ``region`` for the coming run (removed when the next run starts)."""
        self.mem.add(region)
        self._run_regions.append(region)
        return region

    # ------------------------------------------------------------- frames (translate)
    def _new_frame(self, depth: int) -> Region:
        """A fresh 512-byte stack frame for call depth ``depth`` (replacing an old one)."""
        top = STACK_TOP - depth * FRAME_SPAN
        name = "stack" if depth == 0 else f"stack frame {depth}"
        region = Region(RegionKind.STACK, top - STACK_SIZE, bytearray(STACK_SIZE), name=name)
        self.mem.add(region)
        self._frame_regions[depth] = region
        return region

    def call(self, ret: int, target: int) -> int:
        """Enter the subprogram at ``target`` (a bpf-to-bpf call) with a fresh stack frame."""
        depth = len(self.frames) + 1
        if depth >= MAX_CALL_FRAMES:
            raise Fault(f"call depth limit exceeded ({MAX_CALL_FRAMES} frames)")
        regs = self.regs
        saved = regs[6:11]
        region = self._new_frame(depth)
        regs[10] = region.end
        self.frames.append(_Frame(ret, saved, region))
        return target

    def ret(self) -> int:
        """``exit``: -1 from the entry function, else the caller's next pc."""
        if not self.frames:
            return -1
        frame = self.frames.pop()
        frame.region.dead = "its function has returned"
        self.regs[6:11] = frame.saved
        return frame.ret

    # ------------------------------------------------------------- maps (translate)
    def map_ref(self, index: int) -> int:
        return MAP_REF_BASE + index * MAP_REF_STRIDE

    def map_value_pointer(self, index: int, offset: int) -> int:
        """``lddw`` src 2: the address ``offset`` bytes into entry 0 of array map ``index``."""
        bpf_map = self._map_at(index)
        found = bpf_map.lookup(bytes(bpf_map.key_size))
        if found is None or bpf_map.type.name not in ("ARRAY", "PERCPU_ARRAY"):
            raise Fault(f"map value reference into {bpf_map.label}, which is not an array")
        return (self.value_address(index, found) + offset) & U64

    def value_address(self, index: int, value: MapValue) -> int:
        """The address of ``value`` (of map ``index``), granting its region on first use."""
        bpf_map = self._map_at(index)
        stride = -(-(bpf_map.value_size + VALUE_GUARD) // 4096) * 4096
        slot = value.slot % (MAP_VALUE_SPAN // stride)
        addr = MAP_VALUE_BASE + index * MAP_VALUE_SPAN + slot * stride
        region = self._value_regions.get(addr)
        if region is None or region.owner is not value:
            name = f"value of {bpf_map.label}"
            region = Region(RegionKind.MAP_VALUE, addr, value.data, bpf_map.prog_writable,
                            name, owner=value)  # fmt: skip
            self.mem.add(region)
            self._value_regions[addr] = region
        return addr

    def _map_at(self, index: int) -> BpfMap:
        bpf_map = self.maps[index]
        if bpf_map is None:
            raise Fault(f"map {index}: {self.map_problems.get(index, 'not supported')}")
        return bpf_map

    def _map(self, ref: int) -> tuple[int, BpfMap]:
        index, rest = divmod(ref - MAP_REF_BASE, MAP_REF_STRIDE)
        if rest or not 0 <= index < len(self.maps):
            raise Fault(f"{ref:#x} is not a map reference")
        return index, self._map_at(index)

    # ------------------------------------------------------------------ HelperEnv
    def read(self, addr: int, size: int) -> bytes:
        return self.mem.read(addr, size)

    def write(self, addr: int, data: bytes) -> None:
        self.mem.write(addr, data)

    def map_lookup(self, map_ref: int, key: bytes) -> int:
        index, bpf_map = self._map(map_ref)
        found = bpf_map.lookup(key)
        return 0 if found is None else self.value_address(index, found)

    def map_update(self, map_ref: int, key: bytes, value: bytes, flags: int) -> int:
        _, bpf_map = self._map(map_ref)
        if not bpf_map.prog_writable:
            raise Fault(f"{bpf_map.label} is read-only to programs")
        return bpf_map.update(key, value, flags)

    def map_delete(self, map_ref: int, key: bytes) -> int:
        _, bpf_map = self._map(map_ref)
        if not bpf_map.prog_writable:
            raise Fault(f"{bpf_map.label} is read-only to programs")
        return bpf_map.delete(key)

    def map_key_size(self, map_ref: int) -> int:
        return self._map(map_ref)[1].key_size

    def map_value_size(self, map_ref: int) -> int:
        return self._map(map_ref)[1].value_size

    def now_ns(self) -> int:
        return self.clock()

    def random_u32(self) -> int:
        return self.random.getrandbits(32)

    def rx_deliver(self, ctx: int, data: bytes) -> int:
        room = max(0, self.io.rx_capacity - len(self.io.rx))
        accepted = data[:room]
        self.io.rx += accepted
        return len(accepted)

    def tx_fill(self, ctx: int, offset: int, length: int) -> bytes:
        return self.io.tx[offset : offset + length]

    def emit(self, ctx: int, data: bytes) -> int:
        self.io.emitted.append(bytes(data))
        return 0

    def notify_app(self, ctx: int, event: int) -> int:
        self.io.events.append(event)
        return 0

    def rearm_tx(self, ctx: int) -> int:
        self.io.rearms += 1
        return 0

    # ------------------------------------------------------------------ messages
    def insn_text(self, pc: int) -> str:
        """The instruction at ``pc`` as assembly (for trap messages)."""
        if not 0 <= pc < len(self.insns):
            return f"<no instruction: the program has {len(self.insns)} slots>"
        insn = self.insns[pc]
        try:
            if insn.is_lddw:
                return disassemble(self.insns[pc : pc + 2])[0]
            if pc > 0 and self.insns[pc - 1].is_lddw:
                return f"<second slot of the lddw at pc {pc - 1}>"
            return format_insn(insn)
        except Exception:  # a text for an error message must never fail
            return f"<opcode {insn.opcode:#04x} dst={insn.dst} src={insn.src} off={insn.off} imm={insn.imm}>"


def _parse_offsets(packet: bytes) -> dict[str, int]:
    """Header offsets the fast path hands a Chamelio handler (Ethernet + IPv4 only)."""
    if len(packet) < 34 or packet[12:14] != b"\x08\x00" or packet[14] >> 4 != 4:
        return {}
    l4 = 14 + (packet[14] & 0x0F) * 4
    proto = packet[23]
    payload = l4
    if proto == 6 and len(packet) >= l4 + 13:
        payload = l4 + (packet[l4 + 12] >> 4) * 4
    elif proto == 17:
        payload = l4 + 8
    return {"l3_off": 14, "l4_off": l4, "payload_off": payload, "l4_proto": proto}


def run_conformance(insns: list[Insn], mem: bytes) -> int:
    """An engine for :func:`chamelio.ebpf.conformance.run_suite`: r0 of one run."""
    return Interpreter(insns).run_mem(mem).r0


__all__ = [
    "DEFAULT_INSN_LIMIT",
    "MAX_CALL_FRAMES",
    "FlowIo",
    "Interpreter",
    "RunResult",
    "Trap",
    "run_conformance",
]
