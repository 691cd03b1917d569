"""`chamelio verify`: check a handler against the bounded fast-path contract.

FILE is an ELF object (by its magic), a chamelio.lang handler (.py, compiled first, as
`chamelio compile` does) or assembly (.s/.asm, or any other text file; bpf_conformance syntax).

The profile (the hook whose context, helpers and return range apply) is, unless --profile
names one: the hook of the program's ELF section; for a .py handler, the hook of its context
type; for assembly, which carries no section, `xdp` (as `chamelio asm` writes it).

An ELF object with several programs: --section picks one (by function or section name).
Without it the text output verifies every program, one report each (a program whose section
names no hook is skipped with a note, unless --profile applies to all); --json needs
--section then, since it prints exactly one object:
  {"accepted": bool, "cost": <int or null>, "error": null or {"pc": int, "message": str,
   "line": <str or null>}}

The text output is the verifier's report: the verdict, the worst-case cost against the
budget (the profile's default, or --budget) and, on rejection, the instruction, its source
line when known, the register state and a hint.

Exit status: 0 accepted (every program), 1 rejected (any program), 2 bad input (no JSON is
printed then; the error goes to stderr) or a program skipped.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chamelio.abi import HOOKS, Hook, hook_for_section
from chamelio.abi import hook as find_hook
from chamelio.abi.hooks import ALIASES
from chamelio.cli.files import decode_text, read_input
from chamelio.errors import ChamelioError

ASM_SUFFIXES = (".s", ".asm")
LANG_SUFFIXES = (".py",)
DEFAULT_ASM_PROFILE = "xdp"


@dataclass
class Checked:
    """One verified program: what it was and the verifier's report."""

    name: str
    section: str
    profile: str
    report: Any  # chamelio.verify.report.Report; None when skipped
    skipped: str = ""  # why the program was not verified


def register(sub: Any) -> None:
    names = ", ".join([*HOOKS, *ALIASES])
    p: argparse.ArgumentParser = sub.add_parser(
        "verify", help="verify a handler: memory safety and a worst-case cost within budget",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", type=Path, metavar="FILE",
                   help="ELF object, chamelio.lang handler (.py) or assembly (.s/.asm)")
    p.add_argument("--section", metavar="S",
                   help="ELF: the program to verify (function or section name)")
    p.add_argument("--profile", metavar="P", help=f"the hook to verify against: {names}")
    p.add_argument("--budget", type=int, metavar="N",
                   help="the cost bound to enforce (default: the profile's)")
    p.add_argument("--entry", metavar="NAME", help=".py: the handler function (as in compile)")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.budget is not None and args.budget <= 0:
        raise ChamelioError(f"--budget must be positive, not {args.budget}")
    profile = _profile(args.profile)
    checked = check_file(args.file, section=args.section, profile=profile, budget=args.budget,
                         entry=args.entry, single=args.json)
    if args.json:
        print(json.dumps(_json_of(checked[0].report)))
        return 0 if checked[0].report.accepted else 1
    for n, item in enumerate(checked):
        if n:
            print()
        where = f"{item.name} (section {item.section})" if item.section else item.name
        if item.report is None:
            print(f"{args.file}: {where}: skipped: {item.skipped}")
            continue
        print(f"{args.file}: {where}, profile {item.profile}")
        print(item.report.format().rstrip("\n"))
    if any(item.report is not None and not item.report.accepted for item in checked):
        return 1
    skipped = sum(item.report is None for item in checked)
    if skipped:
        raise ChamelioError(
            f"{skipped} of {len(checked)} program(s) in {args.file} could not be verified: "
            "their sections name no hook",
            hint="choose one with --section and give its --profile")
    return 0


def _profile(name: str | None) -> Hook | None:
    if name is None:
        return None
    try:
        return find_hook(name)
    except KeyError as exc:
        raise ChamelioError(str(exc.args[0])) from None


def _json_of(report: Any) -> dict[str, Any]:
    data = report.to_json()
    return json.loads(data) if isinstance(data, str) else dict(data)


def check_file(path: Path, *, section: str | None = None, profile: Hook | None = None,
               budget: int | None = None, entry: str | None = None,
               single: bool = False) -> list[Checked]:
    """Verify the program(s) in ``path``; ``single``: exactly one (or a bad-input error)."""
    data = read_input(path)
    if entry is not None and path.suffix.lower() not in LANG_SUFFIXES:
        raise ChamelioError("--entry applies to .py handlers only")
    if data[:4] == b"\x7fELF":
        return _check_elf(data, str(path), section, profile, budget, single)
    if path.suffix.lower() in LANG_SUFFIXES:
        from chamelio.cli.cmd_compile import import_file
        from chamelio.lang.compiler import compile_bpf

        module = import_file(str(path))
        obj = compile_bpf(module, entry=entry, hook=profile.name if profile else None)
        return _check_elf(obj, str(path), section, profile, budget, single)
    if section is not None:
        raise ChamelioError("--section applies to ELF objects and .py handlers only")
    if path.suffix.lower() in ASM_SUFFIXES or (b"\0" not in data and _is_text(data)):
        return [_check_asm(decode_text(data, str(path)), path, profile, budget)]
    raise ChamelioError(f"{path}: not an ELF object, a .py handler or assembly",
                        hint="verify takes clang/chamelio compile output (.o), .py or .s files")


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _check_asm(text: str, path: Path, profile: Hook | None, budget: int | None) -> Checked:
    from chamelio.ebpf.asm import assemble_lines
    from chamelio.ebpf.elf import LineInfo

    insns, slot_lines = assemble_lines(text, source=str(path))
    if not insns:
        raise ChamelioError(f"{path}: no instructions")
    source = text.splitlines()
    line_info = {pc: LineInfo(str(path), line, 1, source[line - 1].strip())
                 for pc, line in enumerate(slot_lines)}
    hook = profile or find_hook(DEFAULT_ASM_PROFILE)
    from chamelio.verify import verify

    report = verify(insns, hook.name, budget=budget, line_info=line_info)
    return Checked(path.stem, "", hook.name, report)


def _check_elf(data: bytes, name: str, section: str | None, profile: Hook | None,
               budget: int | None, single: bool) -> list[Checked]:
    from chamelio.ebpf.elf import load_object

    obj = load_object(data, name=name)
    if not obj.programs:
        raise ChamelioError(f"{name}: the object holds no program")
    if section is not None:
        programs = [obj.program(section)]
    elif single and len(obj.programs) > 1:
        listing = ", ".join(f"{p.name} ({p.section})" for p in obj.programs)
        raise ChamelioError(f"{name} holds {len(obj.programs)} programs: --json needs --section",
                            hint=f"programs: {listing}")
    else:
        programs = list(obj.programs)
    out: list[Checked] = []
    for prog in programs:
        hook = profile or hook_for_section(prog.section) or HOOKS.get(ALIASES.get(prog.kind, prog.kind))
        if hook is None:
            why = f"section {prog.section!r} of {prog.name} names no hook"
            if len(programs) == 1:
                raise ChamelioError(f"{name}: {why}",
                                    hint=f"choose a profile with --profile ({', '.join(HOOKS)})")
            out.append(Checked(prog.name, prog.section, "", None, f"{why} (use --section and --profile)"))
            continue
        from chamelio.verify import verify_object

        report = verify_object(obj, program=prog.name, profile=hook.name, budget=budget)
        out.append(Checked(prog.name, prog.section, hook.name, report))
    return out
