"""The verifier's entry points: :func:`verify` (instructions) and :func:`verify_object` (ELF).

Example::

    report = verify(insns, "xdp", maps=obj.maps)
    if report.accepted:
        print("worst case", report.cost)
    else:
        print(report.format())          # pc, instruction, source line, registers, hint
    report.to_json()                    # {"accepted": ..., "cost": ..., "error": ...}
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from chamelio.abi import Hook, hook_for_section
from chamelio.abi import hook as find_hook
from chamelio.ebpf import isa
from chamelio.ebpf.disasm import disassemble, format_insn
from chamelio.ebpf.isa import Insn
from chamelio.errors import ChamelioError
from chamelio.verify.cfg import CfgError, build_cfg
from chamelio.verify.checks import Env, MapInfo
from chamelio.verify.explore import Explorer, Failure
from chamelio.verify.report import Rejection, Report, Stats
from chamelio.verify.scalar import Scalar
from chamelio.verify.state import State, entry_state, slot_view
from chamelio.verify.values import NotInit, Pointer, PtrKind, format_value

DEFAULT_MAX_STATES = 1_000_000
DEFAULT_FLOW_STATE_SIZE = 64
LineSource = Callable[[int], object | None] | Mapping[int, object] | None


def _hook(profile: str | Hook) -> Hook:
    if isinstance(profile, Hook):
        return profile
    try:
        return find_hook(profile)
    except KeyError as exc:
        raise ChamelioError(str(exc.args[0]), "see `chamelio abi` for the profiles") from None


def _map_info(m: Any, index: int) -> MapInfo:
    try:
        if isinstance(m, tuple | list):
            return MapInfo(int(m[0]), int(m[1]), int(m[2]), int(m[3]),
                           int(m[4]) if len(m) > 4 else 0)  # fmt: skip
        return MapInfo(int(m.type), int(m.key_size), int(m.value_size), int(m.max_entries),
                       int(getattr(m, "flags", 0)), str(getattr(m, "name", "")))  # fmt: skip
    except (AttributeError, IndexError, TypeError, ValueError):
        raise ChamelioError(f"map {index} is not a map definition (type, key_size, value_size, "
                            f"max_entries): {m!r}") from None


def _insns(program: list[Insn] | bytes) -> list[Insn]:
    if isinstance(program, bytes | bytearray):
        return isa.decode(bytes(program))
    insns = list(program)
    if not all(isinstance(i, Insn) for i in insns):
        raise ChamelioError("a program is a list of Insn or the bytes of its instructions")
    return insns


def _line(line_info: LineSource, pc: int) -> str | None:
    if line_info is None:
        return None
    try:
        info = line_info.get(pc) if isinstance(line_info, Mapping) else line_info(pc)
    except Exception:  # line info is decoration: never let it break a report
        return None
    if info is None:
        return None
    source = str(getattr(info, "source", "") or "").strip()
    return f"{info} {source}".strip() if source else str(info)


def insn_text(insns: list[Insn], pc: int) -> str:
    if not 0 <= pc < len(insns):
        return "<no instruction>"
    insn = insns[pc]
    try:
        if insn.is_lddw:
            return disassemble(insns[pc : pc + 2])[0]
        return format_insn(insn)
    except Exception:
        return f"<opcode {insn.opcode:#04x}>"


def format_state(state: State | None) -> str:
    if state is None:
        return ""
    parts = [f"r{r}={format_value(v)}" for r, v in enumerate(state.regs) if not isinstance(v, NotInit)]
    for depth, frame in enumerate(state.frames):
        prefix = "fp" if depth == 0 else f"fp[{depth}]"
        for i, slot in enumerate(frame.stack):
            if slot is None:
                continue
            at = f"{prefix}{-8 * (i + 1)}"
            if isinstance(slot, Scalar | Pointer):
                parts.append(f"{at}={format_value(slot)}")
            else:
                view = slot_view(slot)
                text = "".join("?" if b == -1 else "m" if b == -2 else f"{b:02x}" for b in reversed(view))
                parts.append(f"{at}=[{text}]")
    return " ".join(parts)


def verify(
    insns: list[Insn] | bytes,
    profile: str | Hook,
    *,
    maps: Iterable[Any] = (),
    budget: int | None = None,
    line_info: LineSource = None,
    max_states: int = DEFAULT_MAX_STATES,
    flow_state_size: int = DEFAULT_FLOW_STATE_SIZE,
) -> Report:
    """Prove ``insns`` safe for ``profile`` and bound its cost; never raises for an unsafe
    program (the report rejects it). Bad input (not a program, unknown profile) raises
    :class:`~chamelio.errors.ChamelioError`."""
    hook = _hook(profile)
    program = _insns(insns)
    infos = [_map_info(m, i) for i, m in enumerate(maps)]
    limit = hook.default_budget if budget is None else budget
    env = Env(hook, infos, flow_state_size)
    stats = Stats(slots=len(program))

    def reject(pc: int, message: str, hint: str, state: State | None, path: list[int],
               cost: int | None = None) -> Report:  # fmt: skip
        error = Rejection(pc, message, insn_text(program, pc), _line(line_info, pc),
                          format_state(state), hint, path)  # fmt: skip
        return Report(False, cost, error, hook.name, stats, limit)

    try:
        cfg = build_cfg(program)
    except CfgError as exc:
        return reject(exc.pc, exc.message, exc.hint, None, [])
    explorer = Explorer(env, cfg, limit, max_states)
    stats = explorer.stats
    try:
        cost, path = explorer.run(entry_state(Pointer(PtrKind.CTX, Scalar.const(0))))
    except Failure as f:
        return reject(f.pc, f.message, f.hint, f.state, f.path, f.cost)
    except RecursionError:  # pragma: no cover - a defensive net, exploration is iterative
        return reject(0, "the program is too complex to verify", "simplify it", None, [])
    return Report(True, cost, None, hook.name, stats, limit, path)


def verify_object(
    obj: Any,
    program: str | int | None = None,
    profile: str | Hook | None = None,
    budget: int | None = None,
    *,
    max_states: int = DEFAULT_MAX_STATES,
    flow_state_size: int = DEFAULT_FLOW_STATE_SIZE,
) -> Report:
    """Verify one program of an ELF object (an ``ObjectFile``, a path or the bytes); the
    profile comes from the program's section unless given."""
    from chamelio.ebpf.elf import load_object
    from chamelio.ebpf.elf.objfile import ObjectFile

    if not isinstance(obj, ObjectFile):
        if not isinstance(obj, bytes | bytearray | str | os.PathLike):
            raise ChamelioError(f"not an ELF object, a path or bytes: {type(obj).__name__}")
        obj = load_object(bytes(obj) if isinstance(obj, bytearray) else obj)
    if not obj.programs:
        raise ChamelioError(f"{obj.path}: the object has no programs")
    if program is None:
        prog = obj.programs[0]
    elif isinstance(program, int):
        if not 0 <= program < len(obj.programs):
            raise ChamelioError(f"{obj.path}: no program {program} (it has {len(obj.programs)})")
        prog = obj.programs[program]
    else:
        prog = obj.program(program)
    if profile is None:
        found = hook_for_section(prog.section)
        if found is None:
            raise ChamelioError(f"{prog.name}: section {prog.section!r} names no known profile",
                                "pass the profile (xdp, socket_filter, chamelio/rx, chamelio/tx)")
        profile = found
    return verify(prog.insns, profile, maps=obj.maps, budget=budget, line_info=prog.line_at,
                  max_states=max_states, flow_state_size=flow_state_size)
