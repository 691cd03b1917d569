"""The labelled verifier corpus: parsing, building, verifying and running its programs.

``tests/verify/corpus/`` holds one program per file: assembly (``.s``, bpf_conformance syntax)
or a ``chamelio.lang`` module (``.py``, entry function ``handler``). Each starts with a header
of comment lines::

    # profile: xdp                       xdp | socket_filter | chamelio/rx | chamelio/tx
    # expect: accept                     or: reject <alt>|<alt>...  (case-insensitive
    #                                        substrings; one must occur in the rejection)
    # cost: 8                            optional: the exact bound of an accepted program
    # budget: 500                        optional: the budget to verify against
    # map: array key=4 value=8 entries=4 optional, one per map, in index order
    # flow: 16                           optional: tenant flow-state size (chamelio hooks)
    # kernel: stricter <why>             optional: the kernel refuses this program for a
    #                                        reason that is not about safety
    # why: what the program does and why it is (un)safe

The same programs feed the soundness fuzzing (mutated, then run in the checked interpreter)
and the kernel cross-check (the ``xdp`` ones, loaded with ``bpf(2)``).
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chamelio.ebpf import isa
from chamelio.ebpf.asm import assemble
from chamelio.ebpf.disasm import disassemble, format_insn
from chamelio.ebpf.elf import MapDef, ObjectFile, load_object
from chamelio.ebpf.interp import Interpreter, RunResult
from chamelio.ebpf.isa import Insn
from chamelio.ebpf.maps import BpfMap

CORPUS = Path(__file__).resolve().parent / "corpus"
PROFILES = ("xdp", "socket_filter", "chamelio/rx", "chamelio/tx")
MAP_TYPES = {"hash": 1, "array": 2, "percpu_hash": 5, "percpu_array": 6}
DEFAULT_FLOW_SIZE = 64  # the verifier's default flow_state_size
PFLOW_SIZE = 48
_HEADER = re.compile(r"^#\s*([a-z]+):\s*(.*?)\s*$")


@dataclass(frozen=True)
class Case:
    """One labelled program of the corpus."""

    path: Path
    profile: str
    accept: bool
    reasons: tuple[str, ...]  # for a reject: alternatives, one must be in the message
    why: str
    cost: int | None = None
    budget: int | None = None
    maps: tuple[MapDef, ...] = ()
    flow: int | None = None
    kernel_note: str | None = None  # "stricter <why>": a known non-safety kernel refusal

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def is_lang(self) -> bool:
        return self.path.suffix == ".py"

    @property
    def label(self) -> str:
        verdict = "accept" if self.accept else "reject " + "|".join(self.reasons)
        return f"{self.name} [{self.profile}, expect {verdict}]"


class CorpusError(Exception):
    """A corpus file with a malformed header (a bug in the corpus, not in the verifier)."""


def _map_def(index: int, text: str, where: str) -> MapDef:
    words = text.split()
    if not words or words[0] not in MAP_TYPES:
        raise CorpusError(f"{where}: map type must be one of {', '.join(MAP_TYPES)}: {text!r}")
    sizes: dict[str, int] = {}
    for word in words[1:]:
        key, _, value = word.partition("=")
        if key not in ("key", "value", "entries") or not value.isdigit():
            raise CorpusError(f"{where}: bad map field {word!r} (key=N value=N entries=N)")
        sizes[key] = int(value)
    if set(sizes) != {"key", "value", "entries"}:
        raise CorpusError(f"{where}: a map needs key=, value= and entries=")
    return MapDef(f"map{index}", MAP_TYPES[words[0]], sizes["key"], sizes["value"],
                  sizes["entries"])


def parse_case(path: Path) -> Case:
    """The :class:`Case` of one corpus file (its leading comment block)."""
    fields: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        m = _HEADER.match(line)
        if not line.startswith("#"):
            break
        if m:
            fields.setdefault(m.group(1), []).append(m.group(2))
    where = path.name

    def one(key: str, required: bool = True) -> str | None:
        values = fields.get(key, [])
        if len(values) > 1 or (required and not values):
            raise CorpusError(f"{where}: exactly one '# {key}:' line is needed")
        return values[0] if values else None

    profile = one("profile")
    expect = one("expect")
    why = one("why")
    assert profile is not None and expect is not None and why is not None
    if profile not in PROFILES:
        raise CorpusError(f"{where}: unknown profile {profile!r}")
    verdict, _, rest = expect.partition(" ")
    if verdict not in ("accept", "reject") or (verdict == "reject") != bool(rest.strip()):
        raise CorpusError(f"{where}: expect must be 'accept' or 'reject <reason>[|<reason>...]'")
    reasons = tuple(r.strip().lower() for r in rest.split("|") if r.strip())
    cost, budget, flow = (one(k, False) for k in ("cost", "budget", "flow"))
    kernel = one("kernel", False)
    if kernel is not None and not kernel.startswith("stricter "):
        raise CorpusError(f"{where}: '# kernel:' must read 'stricter <why>'")
    maps = tuple(_map_def(i, text, where) for i, text in enumerate(fields.get("map", [])))
    return Case(path, profile, verdict == "accept", reasons, why,
                int(cost) if cost else None, int(budget) if budget else None, maps,
                int(flow) if flow else None, kernel)  # fmt: skip


def load_corpus(root: Path = CORPUS) -> list[Case]:
    """Every case of the corpus, in name order."""
    paths = sorted(p for p in root.iterdir() if p.suffix in (".s", ".py"))
    return [parse_case(p) for p in paths]


# ------------------------------------------------------------------------------ building
@dataclass
class Built:
    """A case ready to verify and run: its instructions, maps and (lang) object."""

    insns: list[Insn]
    maps: list[MapDef]
    obj: ObjectFile | None = None
    line_info: dict[int, Any] = field(default_factory=dict)

    @property
    def code(self) -> bytes:
        return isa.encode(self.insns)


@functools.cache
def _build_cached(path: Path, profile: str) -> Built:
    case = parse_case(path)
    if case.is_lang:
        from chamelio.lang import compile_bpf

        obj = load_object(compile_bpf(path.read_text(), entry="handler", hook=profile))
        prog = obj.programs[0]
        return Built(list(prog.insns), list(obj.maps), obj, dict(prog.line_info))
    insns = assemble(path.read_text(), source=path.name)
    return Built(insns, list(case.maps))


def build(case: Case) -> Built:
    """Assemble (or compile) ``case``; cached, so callers must not mutate the result."""
    return _build_cached(case.path, case.profile)


# ----------------------------------------------------------------------------- verifying
def verify_insns(insns: Sequence[Insn], profile: str, maps: Sequence[MapDef] = (),
                 budget: int | None = None, flow: int | None = None,
                 max_states: int | None = None) -> Any:
    """``chamelio.verify.verify`` on ``insns``; ``flow`` is the tenant flow-state size and
    ``max_states`` the complexity limit (the verifier's defaults when None)."""
    from chamelio.verify.api import verify

    extra: dict[str, Any] = {} if max_states is None else {"max_states": max_states}
    return verify(list(insns), profile, maps=tuple(maps), budget=budget,
                  flow_state_size=flow or DEFAULT_FLOW_SIZE, **extra)


def verify_case(case: Case, built: Built | None = None) -> Any:
    """The verifier's report on ``case``."""
    built = built or build(case)
    if built.obj is not None:
        from chamelio.verify.api import verify_object

        return verify_object(built.obj, profile=case.profile, budget=case.budget,
                             flow_state_size=case.flow or DEFAULT_FLOW_SIZE)
    return verify_insns(built.insns, case.profile, built.maps, case.budget, case.flow)


def listing(insns: Sequence[Insn], indent: str = "    ") -> str:
    """The program with its slot numbers (a lddw takes two slots), for failure messages."""
    lines = []
    pc = 0
    while pc < len(insns):
        insn = insns[pc]
        try:
            text = disassemble(list(insns[pc : pc + 2]))[0] if insn.is_lddw else format_insn(insn)
        except Exception:
            text = f"<opcode {insn.opcode:#04x} dst={insn.dst} src={insn.src} off={insn.off} imm={insn.imm}>"
        lines.append(f"{indent}{pc:4}: {text}")
        pc += 2 if insn.is_lddw else 1
    return "\n".join(lines)


def message_of(report: Any) -> str:
    err = report.error
    return "" if err is None else f"pc {err.pc}: {err.message}"


def verdict_problem(case: Case, report: Any) -> str | None:
    """Why ``report`` does not match the label of ``case`` (None when it does)."""
    if case.accept:
        if not report.accepted:
            return f"{case.label}: rejected: {message_of(report)}"
        if case.cost is not None and report.cost != case.cost:
            return f"{case.label}: cost {report.cost}, expected exactly {case.cost}"
        return None
    if report.accepted:
        return f"{case.label}: ACCEPTED (cost {report.cost}) but it is unsafe: {case.why}"
    text = report.error.message.lower() if report.error is not None else ""
    if not any(reason in text for reason in case.reasons):
        return f"{case.label}: rejected for another reason: {message_of(report)}"
    return None


# ------------------------------------------------------------------------------- running
def random_packet(rng: random.Random, lo: int = 14, hi: int = 128) -> bytes:
    """A random frame of ``lo..hi`` bytes; half of them look like Ethernet + IPv4 (+ UDP or
    TCP) so that header parsing paths run too."""
    data = bytearray(rng.randbytes(rng.randint(lo, hi)))
    if len(data) >= 34 and rng.random() < 0.5:
        data[12:14] = b"\x08\x00"
        data[14] = 0x45
        data[23] = rng.choice((6, 17, 1))
    if rng.random() < 0.2:
        data[: min(len(data), 16)] = bytes(min(len(data), 16))  # zeros: divisors, keys
    return bytes(data)


def make_interpreter(insns: Sequence[Insn], maps: Sequence[MapDef], profile: str,
                     limit: int | None, seed: int = 0) -> Interpreter:
    """An interpreter for ``insns`` whose hash maps hold a few entries (keys 0..3), so that
    lookups succeed as well as fail; ``limit`` caps the instructions of one run."""
    kwargs: dict[str, Any] = {"hook": profile, "seed": seed}
    if limit is not None:
        kwargs["insn_limit"] = limit
    interp = Interpreter(list(insns), list(maps), **kwargs)
    for bpf_map in interp.maps:
        if isinstance(bpf_map, BpfMap) and bpf_map.type.name in ("HASH", "PERCPU_HASH"):
            for k in range(min(4, bpf_map.max_entries)):
                key = k.to_bytes(bpf_map.key_size, "little") if bpf_map.key_size >= 1 else b""
                bpf_map.update(key, bytes(bpf_map.value_size))
    return interp


def run_once(interp: Interpreter, profile: str, packet: bytes, rng: random.Random,
             flow_size: int = DEFAULT_FLOW_SIZE) -> RunResult:
    """One run on ``packet``; on the chamelio hooks the flow states are present or absent
    at random."""
    if profile.startswith("chamelio/"):
        flow = rng.randbytes(flow_size) if rng.random() < 0.7 else None
        pflow = rng.randbytes(PFLOW_SIZE) if rng.random() < 0.7 else None
        return interp.run_packet(packet, flow=flow, pflow=pflow)
    return interp.run_packet(packet)


def soundness_problem(insns: Sequence[Insn], maps: Sequence[MapDef], profile: str, cost: int,
                      rng: random.Random, runs: int = 5, flow_size: int | None = None,
                      extra: Sequence[bytes] = ()) -> str | None:
    """Run an accepted program on ``runs`` random packets (and the ``extra`` ones): a trap
    or a run longer than the proven ``cost`` is a soundness bug, described in the returned
    text."""
    try:
        interp = make_interpreter(insns, maps, profile, cost + 1, rng.getrandbits(32))
    except Exception as exc:  # the verifier accepted what the interpreter cannot even load
        return f"the interpreter refused the accepted program: {exc}"
    for packet in [*extra, *(random_packet(rng) for _ in range(runs))]:
        try:
            result = run_once(interp, profile, packet, rng, flow_size or DEFAULT_FLOW_SIZE)
        except Exception as exc:
            return f"trap on packet {packet.hex()}: {exc}"
        if result.insns > cost:
            return f"ran {result.insns} instructions > proven bound {cost} on packet {packet.hex()}"
    return None
