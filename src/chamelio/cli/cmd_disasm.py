"""`chamelio disasm`: print eBPF instructions in the assembler's syntax.

Input is recognised by content: an ELF object (via ``chamelio.ebpf.elf``: its sections, maps,
programs and relocations, then each program), raw instruction bytes (a multiple of 8), or
assembly text (assembled, then printed back in canonical form). The instruction
lines re-assemble with ``chamelio asm`` to the identical bytes; headers are ``#`` comments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from chamelio.cli.files import decode_text, path_argument, read_input
from chamelio.ebpf import isa
from chamelio.ebpf.asm import assemble
from chamelio.ebpf.disasm import disassemble
from chamelio.errors import ChamelioError

FORMATS = ("auto", "elf", "raw", "asm")
ASM_SUFFIXES = (".s", ".asm")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "disasm",
        help="disassemble raw eBPF bytes, an ELF object or assembly text",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", type=path_argument, help="file to disassemble")
    p.add_argument("--format", choices=FORMATS, default="auto", help="input kind (default: auto)")
    p.add_argument("--labels", action="store_true", help="use labels for jump targets")
    p.add_argument(
        "--pc", action="store_true", help="prefix each line with its slot (not re-assemblable)"
    )
    p.add_argument("--program", help="ELF only: print only this program (name or section)")
    p.set_defaults(func=run)


def detect_format(data: bytes) -> str:
    if data[:4] == b"\x7fELF":
        return "elf"
    if b"\0" in data or not data:
        return "raw"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "raw"
    return "asm"


def _print_program(insns: list[isa.Insn], labels: bool, pc: bool) -> None:
    lines = disassemble(insns, labels=labels and not pc)
    if not pc:
        for line in lines:
            print(line)
        return
    slot = 0
    for line in lines:
        print(f"{slot:5d}: {line}")
        slot += 2 if insns[slot].is_lddw and not line.startswith(".raw") else 1


def _print_elf(data: bytes, path: Path, args: argparse.Namespace) -> None:
    from chamelio.ebpf.elf import load_object

    obj = load_object(data, name=str(path))
    for line in obj.describe():
        print(f"# {line}")
    programs = list(obj.programs)
    if args.program is not None:
        programs = [p for p in programs if args.program in (p.name, p.section)]
        if not programs:
            raise ChamelioError(f"no program {args.program!r} in {path}")
    for prog in programs:
        print(f"\n# program {prog.name} (section {prog.section}, {len(prog.insns)} slots)")
        _print_program(list(prog.insns), args.labels, args.pc)


def run(args: argparse.Namespace) -> int:
    path: Path = args.input
    data = read_input(path)
    if not data:
        raise ChamelioError(f"{path}: the file is empty")
    kind = detect_format(data) if args.format == "auto" else args.format
    text_like = kind == "raw" and b"\0" not in data and path.suffix.lower() in ASM_SUFFIXES
    if args.format == "auto" and text_like:  # say "not UTF-8", not "not a multiple of 8"
        kind = "asm"
    if args.program is not None and kind != "elf":
        raise ChamelioError(f"--program applies to ELF objects only, and {path} is read as {kind}")
    if kind == "elf":
        _print_elf(data, path, args)
    elif kind == "raw":
        _print_program(isa.decode(data), args.labels, args.pc)
    else:
        insns = assemble(decode_text(data, str(path)), source=str(path))
        if not insns:
            raise ChamelioError(f"{path}: no instructions")
        _print_program(insns, args.labels, args.pc)
    sys.stdout.flush()
    return 0
