"""`chamelio exec`: run an eBPF program in the reference interpreter or in the kernel.

FILE is an ELF object (by its magic; pick the program with --section when it holds more
than one), an assembly file (.s/.asm, bpf_conformance syntax), a bpf_conformance test
(.data: its -- mem is the default input) or raw instruction bytes.

Two ways to run:
  --mem HEX                 the conformance way: r1 points at a writable copy of the bytes,
                            r2 holds their length (the default, with no bytes)
  --hook HOOK --packet HEX  the hook's context, built as the kernel (or the Chamelio fast
                            path) presents it: for xdp, xdp_md's 32-bit data/data_end load as
                            packet pointers, so programs written for the kernel run unchanged;
                            an ELF program's section names its hook when --hook is left out

--engine kernel loads the program with bpf(2) and runs it with BPF_PROG_TEST_RUN (xdp and
socket_filter; --mem runs as XDP behind a two-instruction prologue, so the verifier must
accept the program as an XDP program). The kernel reports r0 as a 32-bit value and no
instruction count, and hands a socket filter's packet back with its Ethernet header zeroed.

Exit status: 0 when the program ran to its exit, 1 when it trapped (a bad memory access,
an unknown helper, a jump out of the program, the instruction limit ...), 2 on bad input
(70 on an internal error, a bug). With --json exactly one JSON object is printed, bad
arguments included:
  {"result": <r0, unsigned 64-bit>, "packet": <hex after the run, or null>, "insns": <count, or null>}
or {"error": "..."} when the run fails.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chamelio.abi import HOOKS, Hook, hook_for_section
from chamelio.abi import hook as find_hook
from chamelio.abi.hooks import ALIASES
from chamelio.cli.files import decode_text, path_argument, read_input
from chamelio.ebpf import isa
from chamelio.ebpf.interp import DEFAULT_INSN_LIMIT, Interpreter
from chamelio.ebpf.isa import Insn
from chamelio.errors import ChamelioError

ENGINES = ("interp", "kernel")
ASM_SUFFIXES = (".s", ".asm")
_HEX_JUNK = re.compile(r"[\s:,]|0x", re.IGNORECASE)


@dataclass
class _Loaded:
    """What FILE holds: the program, its maps (ELF) and what it suggests for the run."""

    insns: list[Insn]
    maps: list[Any]
    mem: bytes | None = None  # a .data file's -- mem
    hook: Hook | None = None  # an ELF section's hook
    section: str = ""


@dataclass
class _Outcome:
    result: int
    packet: bytes | None
    insns: int | None


def register(sub: Any) -> None:
    names = ", ".join([*HOOKS, *ALIASES])
    p: argparse.ArgumentParser = sub.add_parser(
        "exec",
        help="run an eBPF program (interpreter or kernel) on memory or a packet",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", type=path_argument, metavar="FILE",
                   help="ELF object, assembly (.s/.asm), conformance test (.data) or raw bytes")  # fmt: skip
    p.add_argument("--section", metavar="S", help="ELF: the program to run (section or function name)")
    way = p.add_mutually_exclusive_group()
    way.add_argument("--mem", metavar="HEX", help="input memory: r1 points at it, r2 is its length")
    way.add_argument("--packet", metavar="HEX", help="packet to run the hook's program on")
    p.add_argument("--hook", metavar="HOOK", help=f"hook of the program (with --packet): {names}")
    p.add_argument("--engine", choices=ENGINES, default="interp",
                   help="interp: the checked reference interpreter (default); kernel: bpf(2)")  # fmt: skip
    p.add_argument("--insn-limit", type=int, default=DEFAULT_INSN_LIMIT, metavar="N",
                   help=f"interp: trap after N instructions (default {DEFAULT_INSN_LIMIT})")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run, json_errors=True)  # main: usage errors as {"error": ...} too


def run(args: argparse.Namespace) -> int:
    try:
        outcome = _execute(args)
    except ChamelioError as exc:
        if not args.json:
            raise
        print(json.dumps({"error": str(exc)}))
        return exc.exit_code
    if args.json:
        print(json.dumps({
            "result": outcome.result,
            "packet": outcome.packet.hex() if outcome.packet is not None else None,
            "insns": outcome.insns,
        }))  # fmt: skip
    else:
        print(f"result: {outcome.result:#x} ({outcome.result})")
        if outcome.insns is not None:
            print(f"insns: {outcome.insns}")
        if outcome.packet is not None:
            print(f"packet: {outcome.packet.hex()}")
    return 0


def _execute(args: argparse.Namespace) -> _Outcome:
    if args.insn_limit <= 0:
        raise ChamelioError(f"--insn-limit must be positive, not {args.insn_limit}")
    loaded = _load(args.file, args.section)
    hook: Hook | None = None
    if args.hook is not None:
        try:
            hook = find_hook(args.hook)
        except KeyError as exc:
            raise ChamelioError(str(exc.args[0])) from None
    if args.packet is None:
        if hook is not None:
            raise ChamelioError("--hook needs --packet (with --mem the program runs the conformance way)")
        mem = parse_hex(args.mem, "--mem") if args.mem is not None else (loaded.mem or b"")
        if args.engine == "kernel":
            return _kernel_mem(loaded, mem)
        interp = Interpreter(loaded.insns, loaded.maps, insn_limit=args.insn_limit)
        result = interp.run_mem(mem)
        return _Outcome(result.r0, None, result.insns)
    packet = parse_hex(args.packet, "--packet")
    hook = hook or loaded.hook
    if hook is None:
        where = f" (section {loaded.section!r} names none)" if loaded.section else ""
        raise ChamelioError(f"--packet needs --hook{where}",
                            hint=f"hooks: {', '.join(HOOKS)}")  # fmt: skip
    if args.engine == "kernel":
        return _kernel_packet(loaded, hook, packet)
    interp = Interpreter(loaded.insns, loaded.maps, hook=hook, insn_limit=args.insn_limit)
    result = interp.run_packet(packet)
    return _Outcome(result.r0, result.packet, result.insns)


def parse_hex(text: str, what: str) -> bytes:
    """Bytes from hex text; spaces, colons, commas and ``0x`` prefixes are ignored."""
    digits = _HEX_JUNK.sub("", text)
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise ChamelioError(f"{what}: not hex bytes: {text!r}",
                            hint="give an even number of hex digits, e.g. 0a0b0c") from None  # fmt: skip


# ---------------------------------------------------------------------- input files
def _load(path: Path, section: str | None) -> _Loaded:
    data = read_input(path)
    if data[:4] == b"\x7fELF":
        return _load_elf(data, path, section)
    if section is not None:
        raise ChamelioError("--section applies to ELF objects only")
    suffix = path.suffix.lower()
    if suffix == ".data":
        from chamelio.ebpf.conformance import parse_text

        test = parse_text(decode_text(data, str(path)), path)
        if not test.insns:
            reason = f": {test.skip_reason}" if test.skip_reason else ""
            raise ChamelioError(f"{path}: no program to run{reason}")
        return _Loaded(list(test.insns), [], mem=test.mem)
    if suffix in ASM_SUFFIXES or (b"\0" not in data and _is_text(data)):
        from chamelio.ebpf.asm import assemble

        insns = assemble(decode_text(data, str(path)), source=str(path))
        if not insns:
            raise ChamelioError(f"{path}: no instructions")
        return _Loaded(insns, [])
    if not data or len(data) % 8:
        raise ChamelioError(
            f"{path}: not an ELF object, assembly or conformance test, and {len(data)} bytes "
            "is not a whole number of 8-byte instructions"
        )
    return _Loaded(isa.decode(data), [])


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _load_elf(data: bytes, path: Path, section: str | None) -> _Loaded:
    from chamelio.ebpf.elf import load_object

    obj = load_object(data, name=str(path))
    if not obj.programs:
        raise ChamelioError(f"{path}: the object holds no program")
    if section is not None:
        prog = obj.program(section)
    elif len(obj.programs) == 1:
        prog = obj.programs[0]
    else:
        listing = ", ".join(f"{p.name} ({p.section})" for p in obj.programs)
        raise ChamelioError(f"{path} holds {len(obj.programs)} programs: choose one with --section",
                            hint=f"programs: {listing}")  # fmt: skip
    hook = hook_for_section(prog.section)
    if hook is None:  # older conventions ("xdp_prog", "socket1"): the loader's guess
        hook = HOOKS.get(ALIASES.get(prog.kind, prog.kind))
    return _Loaded(list(prog.insns), list(obj.maps), hook=hook, section=prog.section)


# ---------------------------------------------------------------------- kernel engine
def _kernel_packet(loaded: _Loaded, hook: Hook, packet: bytes) -> _Outcome:
    if hook.kernel_prog_type is None:
        raise ChamelioError(f"the kernel has no hook {hook.name!r}",
                            hint="--engine kernel runs xdp and socket_filter programs")  # fmt: skip
    retval, out = _kernel_run(loaded, loaded.insns, hook.kernel_prog_type, packet)
    return _Outcome(retval, out, None)


def _kernel_mem(loaded: _Loaded, mem: bytes) -> _Outcome:
    """Run the conformance way in the kernel: an XDP program whose prologue sets r1 to the
    packet (the memory, padded to an Ethernet header) and r2 to the memory's length."""
    prologue = [
        Insn(isa.BPF_LDX | isa.BPF_MEM | isa.BPF_W, 1, 1, 0),
        Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_K, 2, imm=len(mem)),
    ]
    packet = mem.ljust(14, b"\0")
    retval, _ = _kernel_run(loaded, prologue + loaded.insns, 6, packet)
    return _Outcome(retval, None, None)


def _kernel_run(loaded: _Loaded, insns: list[Insn], prog_type: int, packet: bytes) -> tuple[int, bytes]:
    from chamelio.ebpf.kernel.objects import KernelObject

    with KernelObject.from_code(isa.encode(insns), loaded.maps, prog_type, log_level=0) as kobj:
        result = kobj.run(packet)
    return result.retval, result.data_out
