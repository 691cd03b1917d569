"""`chamelio asm`: assemble bpf_conformance-syntax assembly to an ELF object or raw bytes.

The ELF output is a little-endian ``EM_BPF`` relocatable object as libbpf expects it: the
program in one executable section (``--section``, default ``xdp`` so that
``bpftool prog load OUT /sys/fs/bpf/NAME type xdp`` loads it as is), a global ``STT_FUNC``
symbol covering it (``--symbol``, default: the input file's stem), a ``license`` section
(``--license``, default ``GPL``) and a symbol table. Subprograms (``call local`` targets) go
to ``.text`` as libbpf wants, with ``R_BPF_64_32`` relocations for the calls. ``lddw`` with a
map or function source would need more relocations, which this writer does not produce: use
``--raw`` and the kernel oracle's fd patching for those.
"""

from __future__ import annotations

import argparse
import re
import struct
import sys
from pathlib import Path
from typing import Any

from chamelio.cli.files import (
    decode_text,
    encode_name,
    path_argument,
    read_input,
    read_stdin,
    refuse_input_as_output,
    write_output,
)
from chamelio.ebpf import isa
from chamelio.ebpf.asm import assemble
from chamelio.errors import ChamelioError

EM_BPF = 247
ET_REL = 1
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_REL = 1, 2, 3, 9
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4
STB_LOCAL, STB_GLOBAL = 0, 1
R_BPF_64_32 = 10
STT_OBJECT, STT_FUNC = 1, 2
DEFAULT_SECTION = "xdp"
DEFAULT_LICENSE = "GPL"

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SYM = struct.Struct("<IBBHQQ")
_REL = struct.Struct("<QQ")


class _StrTab:
    def __init__(self) -> None:
        self.data = bytearray(b"\0")

    def add(self, name: str) -> int:
        offset = len(self.data)
        self.data += name.encode() + b"\0"
        return offset


def _align(buf: bytearray, alignment: int) -> None:
    buf += b"\0" * (-len(buf) % alignment)


def _call_target(pc: int, insn: isa.Insn) -> int | None:
    if insn.opcode == isa.OP_CALL and insn.src == isa.BPF_PSEUDO_CALL:
        return pc + insn.imm + 1
    return None


def split_subprograms(insns: list[isa.Insn]) -> tuple[int, list[int]]:
    """Where the main program ends and the sorted subprogram starts (local call targets).

    libbpf wants subprograms in ``.text``: everything from the first call target on goes
    there. Raises :class:`ChamelioError` for what such a split cannot express."""
    targets: set[int] = set()
    for pc, insn in enumerate(insns):
        if insn.is_lddw and insn.src != 0:
            raise ChamelioError(
                f"pc {pc}: lddw with pseudo source {insn.src}; "
                "ELF output does not write map or function relocations",
                hint="use --raw and load it with the kernel oracle (maps patched by fd)",
            )
        target = _call_target(pc, insn)
        if target is not None:
            if not 0 < target < len(insns):
                raise ChamelioError(f"pc {pc}: call target {target} is not a subprogram")
            targets.add(target)
    if not targets:
        return len(insns), []
    boundary = min(targets)
    for pc, insn in enumerate(insns):
        target = _call_target(pc, insn)
        if target is None and insn.cls in (isa.BPF_JMP, isa.BPF_JMP32):
            if insn.op in (isa.BPF_CALL, isa.BPF_EXIT):
                continue
            target = pc + (insn.imm if insn.opcode == isa.OP_JA32 else insn.off) + 1
            if (pc < boundary) != (target < boundary):
                raise ChamelioError(f"pc {pc}: jump crosses into a subprogram")
        elif target is not None and pc >= boundary and target < boundary:
            raise ChamelioError(f"pc {pc}: a subprogram calls into the main program")
    return boundary, sorted(targets)


def write_elf_object(
    insns: list[isa.Insn],
    *,
    section: str = DEFAULT_SECTION,
    symbol: str = "prog",
    license: str = DEFAULT_LICENSE,
) -> bytes:
    """A relocatable EM_BPF object holding ``insns`` as one program (no maps, no BTF).

    Subprograms (local call targets) go to ``.text`` with a local ``STT_FUNC`` symbol
    each; calls from the main section get an ``R_BPF_64_32`` relocation."""
    boundary, starts = split_subprograms(insns)
    main, text = isa.encode(insns[:boundary]), isa.encode(insns[boundary:])
    if not main:
        raise ChamelioError("the program is empty")
    if text and section == ".text":
        raise ChamelioError("a program with subprograms cannot itself be in .text")
    strtab = _StrTab()
    sections = [".strtab", section, "license", ".symtab"] + (
        [".text", f".rel{section}"] if text else []
    )
    names = {n: strtab.add(n) for n in sections}
    lic_data = license.encode() + b"\0"
    # Sections: 0 null, 1 .strtab, 2 program, 3 license, 4 .symtab[, 5 .text, 6 .rel<prog>].
    symtab = bytearray(_SYM.size)  # the null symbol
    sym_index: dict[int, int] = {}
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(insns)
        sym_index[start] = len(symtab) // _SYM.size
        symtab += _SYM.pack(strtab.add(f"{symbol}_sub{start}"), STB_LOCAL << 4 | STT_FUNC, 0,
                            5, (start - boundary) * 8, (end - start) * 8)  # fmt: skip
    n_local = len(symtab) // _SYM.size
    symtab += _SYM.pack(strtab.add(symbol), STB_GLOBAL << 4 | STT_FUNC, 0, 2, 0, len(main))
    symtab += _SYM.pack(strtab.add("_license"), STB_GLOBAL << 4 | STT_OBJECT, 0, 3, 0,
                        len(lic_data))  # fmt: skip
    rel = bytearray()
    patched = list(insns[:boundary])
    for pc, insn in enumerate(patched):
        target = _call_target(pc, insn)
        if target is not None:  # libbpf: target = symbol + imm + 1
            patched[pc] = isa.Insn(insn.opcode, insn.dst, insn.src, insn.off, -1)
            rel += _REL.pack(pc * 8, sym_index[target] << 32 | R_BPF_64_32)
    main = isa.encode(patched)

    contents: list[tuple[bytes, int]] = [
        (bytes(strtab.data), 1), (main, 8), (lic_data, 1), (bytes(symtab), 8),
    ]  # fmt: skip
    if text:
        contents += [(text, 8), (bytes(rel), 8)]
    body = bytearray(_EHDR.size)
    offsets: list[int] = []
    for data, alignment in contents:
        _align(body, alignment)
        offsets.append(len(body))
        body += data
    _align(body, 8)
    shoff = len(body)
    specs = [
        (SHT_STRTAB, 0, 0, 0, 1, 0),
        (SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0, 0, 8, 0),
        (SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 0, 0, 1, 0),
        (SHT_SYMTAB, 0, 1, n_local, 8, _SYM.size),
        (SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0, 0, 8, 0),
        (SHT_REL, 0, 4, 2, 8, _REL.size),
    ]
    body += _SHDR.pack(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    for name, (data, _), offset, spec in zip(sections, contents, offsets, specs, strict=False):
        kind, flags, link, info, alignment, entsize = spec
        body += _SHDR.pack(names[name], kind, flags, 0, offset, len(data), link, info,
                           alignment, entsize)  # fmt: skip
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8  # 64-bit, little-endian, v1
    body[: _EHDR.size] = _EHDR.pack(
        ident, ET_REL, EM_BPF, 1, 0, 0, shoff, 0, _EHDR.size, 0, 0, _SHDR.size,
        len(sections) + 1, 1,
    )  # fmt: skip
    return bytes(body)


def _symbol_from(path: Path) -> str:
    name = re.sub(r"\W", "_", path.stem) or "prog"
    return name if not name[0].isdigit() else f"_{name}"


def _default_output(source: Path, raw: bool) -> Path:
    try:
        return source.with_suffix(".bin" if raw else ".o")
    except ValueError:  # "..", "/": no name to put a suffix on
        raise ChamelioError(f"no output name can be made from {source}",
                            hint="give one with -o") from None


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "asm",
        help="assemble eBPF assembly (bpf_conformance syntax) to an ELF object or raw bytes",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", type=path_argument, help="assembly file ('-' for stdin)")
    p.add_argument("-o", "--output", type=path_argument,
                   help="output file (default: INPUT.o / .bin)")
    p.add_argument("--raw", action="store_true", help="write raw instruction bytes, not ELF")
    p.add_argument("--section", default=DEFAULT_SECTION, help="program section (default: xdp)")
    p.add_argument("--license", default=DEFAULT_LICENSE, help="license string (default: GPL)")
    p.add_argument("--symbol", help="program symbol name (default: the input file's stem)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    stdin = str(args.input) == "-"
    source = "<stdin>" if stdin else str(args.input)
    for option, value in (("--section", args.section), ("--license", args.license),
                          ("--symbol", args.symbol)):  # fmt: skip
        if value is not None:
            encode_name(value, option)
    if not args.section:
        raise ChamelioError("--section: the section name is empty")
    if args.section in (".strtab", ".symtab", "license") or args.section.startswith(".rel"):
        raise ChamelioError(f"--section {args.section!r} is a name the object needs for itself")
    if stdin and args.output is None:
        raise ChamelioError("reading stdin needs -o OUTPUT")
    data = read_stdin() if stdin else read_input(args.input)
    output: Path = args.output or _default_output(args.input, args.raw)
    if not stdin:
        refuse_input_as_output(output, args.input)
    insns = assemble(decode_text(data, source), source=source)
    if not insns:
        raise ChamelioError(f"{source}: no instructions to assemble")
    code = isa.encode(insns)
    if args.raw:
        out = code
    else:
        symbol = args.symbol or ("prog" if stdin else _symbol_from(args.input))
        out = write_elf_object(insns, section=args.section, symbol=symbol, license=args.license)
    write_output(output, out)
    print(f"{output}: {len(insns)} slots ({len(code)} bytes)", file=sys.stderr)
    return 0
