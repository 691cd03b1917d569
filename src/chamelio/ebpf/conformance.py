"""bpf_conformance ``.data`` files: parser and a runner for any execution engine.

A ``.data`` file has sections opened by ``-- name`` lines: ``asm`` (assembly), ``raw``
(64-bit words ``0x...`` or 8 hex bytes per line), ``mem`` (hex bytes, the input memory),
``result`` (expected r0) and ``error`` (an error is expected). ``-- c`` and
``-- no register offset`` are ignored; any other directive makes the test skipped, with
the reason. Lines starting with ``#`` outside ``-- asm``/``-- c`` are comments.

An *engine* is any callable ``(insns, mem) -> r0`` that raises on a trap; it may raise
:class:`EngineSkip` to decline a test. Example::

    report = run_suite([Path("../shared/bpf_conformance/tests")], my_engine)
    print(report.summary())            # "passed 298, failed 0, skipped 15 (of 313)"
    for outcome in report.not_passed:  # each with .status and .reason
        print(outcome)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from chamelio.ebpf import isa
from chamelio.ebpf.asm import AsmError, assemble_lines
from chamelio.ebpf.isa import Insn
from chamelio.errors import ChamelioError

Engine = Callable[[list[Insn], bytes], int]

KNOWN_SECTIONS = frozenset({"asm", "raw", "mem", "result", "error"})
IGNORED_SECTIONS = frozenset({"c", "no register offset"})
DEFAULT_GROUPS = frozenset(isa.CONFORMANCE_GROUPS) - {"packet", "callx"}
_U64 = (1 << 64) - 1
_HEX_BYTE = re.compile(r"[0-9a-fA-F]{1,2}")


class DataFileError(AsmError):
    """A ``.data`` file that cannot be turned into a test; ``line`` names where."""


class EngineSkip(ChamelioError):
    """Raised by an engine that cannot run a test (e.g. an unsupported feature)."""


@dataclass(frozen=True, slots=True)
class ConformanceTest:
    """One parsed ``.data`` file. ``skip_reason`` is set when the file cannot be run."""

    path: Path
    insns: tuple[Insn, ...] = ()
    mem: bytes = b""
    result: int | None = None  # expected r0, unsigned 64-bit
    error: str | None = None  # expected error text ('' when the section is empty)
    expect_line: int = 0  # line of the -- result / -- error directive
    cpu_version: int = 1
    groups: frozenset[str] = frozenset()
    asm: str | None = None
    raw: bytes | None = None
    skip_reason: str | None = None

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one test: status is ``"pass"``, ``"fail"`` or ``"skip"``."""

    path: Path
    status: str
    reason: str | None = None
    r0: int | None = None

    @property
    def name(self) -> str:
        return self.path.stem

    def __str__(self) -> str:
        return f"{self.status.upper()} {self.name}" + (f": {self.reason}" if self.reason else "")


@dataclass
class Report:
    """Counts and per-test outcomes of a suite run."""

    outcomes: list[Outcome] = field(default_factory=list)

    def _count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def passed(self) -> int:
        return self._count("pass")

    @property
    def failed(self) -> int:
        return self._count("fail")

    @property
    def skipped(self) -> int:
        return self._count("skip")

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "fail"]

    @property
    def skips(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "skip"]

    @property
    def not_passed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != "pass"]

    def by_name(self) -> dict[str, Outcome]:
        return {o.name: o for o in self.outcomes}

    def summary(self) -> str:
        return (
            f"passed {self.passed}, failed {self.failed}, skipped {self.skipped} (of {self.total})"
        )

    def format(self) -> str:
        """The summary followed by one line per failure and skip."""
        return "\n".join([self.summary(), *(str(o) for o in self.not_passed)])


# ------------------------------------------------------------------ parsing
def _sections(text: str) -> tuple[list[tuple[str, int, list[str]]], int]:
    """(name, directive line, body lines) per section, and the number of lines."""
    sections: list[tuple[str, int, list[str]]] = []
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if line.startswith("--"):
            sections.append((line[2:].strip(), number, []))
        elif sections:
            sections[-1][2].append(line)
    return sections, len(lines)


def _data_lines(body: list[str], first: int) -> Iterable[tuple[int, str]]:
    for offset, line in enumerate(body):
        text = line.split("#", 1)[0].strip()
        if text:
            yield first + offset, text


def _parse_int(text: str, line: int, path: Path) -> int:
    try:
        return int(text, 0) & _U64
    except ValueError:
        raise DataFileError(f"invalid number {text!r}", line, str(path)) from None


def _parse_hex_bytes(tokens: list[str], line: int, path: Path) -> bytes:
    for tok in tokens:
        if not _HEX_BYTE.fullmatch(tok):
            raise DataFileError(f"invalid hex byte {tok!r}", line, str(path))
    return bytes(int(tok, 16) for tok in tokens)


def _parse_raw(body: list[str], first: int, path: Path) -> tuple[bytes, list[int]]:
    data = bytearray()
    slot_lines: list[int] = []
    for line, text in _data_lines(body, first):
        tokens = text.split()
        if len(tokens) == 1 and tokens[0].lower().startswith("0x"):
            word = _parse_int(tokens[0], line, path)
            chunk = word.to_bytes(8, "little")
        else:
            chunk = _parse_hex_bytes(tokens, line, path)
            if len(chunk) % 8:
                raise DataFileError(
                    f"raw line has {len(chunk)} bytes, not a multiple of 8", line, str(path)
                )
        data += chunk
        slot_lines += [line] * (len(chunk) // 8)
    return bytes(data), slot_lines


def _program(
    path: Path,
    asm: tuple[int, list[str]] | None,
    raw: tuple[int, list[str]] | None,
    end_line: int,
) -> tuple[list[Insn], str | None, bytes | None]:
    insns: list[Insn] | None = None
    lines: list[int] = []
    asm_text = raw_bytes = None
    if asm is not None:
        asm_text = "\n".join(asm[1])
        insns, lines = assemble_lines(asm_text, first_line=asm[0] + 1, source=str(path))
        if not insns:
            raise DataFileError("the -- asm section has no instructions", asm[0], str(path))
    if raw is not None:
        raw_bytes, raw_lines = _parse_raw(raw[1], raw[0] + 1, path)
        try:
            decoded = isa.decode(raw_bytes)
        except isa.InvalidProgram as exc:
            at = raw_lines[exc.pc] if exc.pc is not None and exc.pc < len(raw_lines) else raw[0]
            raise DataFileError(exc.reason, at, str(path)) from None
        if not decoded:
            raise DataFileError("the -- raw section has no instructions", raw[0], str(path))
        if insns is not None and isa.encode(insns) != raw_bytes:
            pc = next(
                (i for i, (a, b) in enumerate(zip(insns, decoded, strict=False)) if a != b),
                min(len(insns), len(decoded)),
            )
            at = raw_lines[pc] if pc < len(raw_lines) else raw[0]
            raise DataFileError(f"-- raw disagrees with -- asm at slot {pc}", at, str(path))
        insns, lines = decoded, raw_lines
    if insns is None:
        raise DataFileError("no -- asm or -- raw section", max(end_line, 1), str(path))
    try:
        isa.validate(insns)
    except isa.InvalidProgram as exc:
        at = lines[exc.pc] if exc.pc is not None and exc.pc < len(lines) else 1
        raise DataFileError(exc.reason, at, str(path)) from None
    return insns, asm_text, raw_bytes


def parse_text(text: str, path: Path | str = "<data>") -> ConformanceTest:
    """Parse the content of a ``.data`` file; raises :class:`DataFileError` (or
    :class:`AsmError`) naming the line on malformed input."""
    path = Path(path)
    sections, end_line = _sections(text)
    by_name: dict[str, tuple[int, list[str]]] = {}
    for name, line, body in sections:
        if name in IGNORED_SECTIONS:
            continue
        if name not in KNOWN_SECTIONS:
            return ConformanceTest(
                path, skip_reason=f"unknown directive '-- {name}' at line {line}"
            )
        if name in by_name:
            raise DataFileError(f"duplicate section '-- {name}'", line, str(path))
        by_name[name] = (line, body)
    insns, asm_text, raw_bytes = _program(path, by_name.get("asm"), by_name.get("raw"), end_line)
    mem = b""
    if "mem" in by_name:
        line0, body = by_name["mem"]
        for line, data in _data_lines(body, line0 + 1):
            mem += _parse_hex_bytes(data.split(), line, path)
    result = error = None
    expect_line = 0
    if "result" in by_name:
        expect_line, body = by_name["result"]
        values = list(_data_lines(body, expect_line + 1))
        if len(values) != 1:
            raise DataFileError("-- result needs exactly one value", expect_line, str(path))
        result = _parse_int(values[0][1], values[0][0], path)
    if "error" in by_name:
        if result is not None:
            raise DataFileError("both -- result and -- error", by_name["error"][0], str(path))
        expect_line, body = by_name["error"]
        error = "\n".join(t for _, t in _data_lines(body, 0))
    if result is None and error is None:
        raise DataFileError("no -- result or -- error section", max(end_line, 1), str(path))
    cpu, groups = isa.program_requirements(insns)
    return ConformanceTest(
        path, tuple(insns), mem, result, error, expect_line, cpu, groups, asm_text, raw_bytes
    )


def parse_file(path: Path | str) -> ConformanceTest:
    """Parse one ``.data`` file (see :func:`parse_text`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"cannot read: {exc}", 1, str(path)) from None
    return parse_text(text, path)


def data_files(paths: Iterable[Path | str]) -> list[Path]:
    """Expand directories to their ``*.data`` files (sorted); keep files as given."""
    out: list[Path] = []
    for p in map(Path, paths):
        out.extend(sorted(p.glob("*.data")) if p.is_dir() else [p])
    return out


# ------------------------------------------------------------------ running
def run_test(
    test: ConformanceTest,
    engine: Engine,
    *,
    cpu_version: int = 4,
    groups: frozenset[str] = DEFAULT_GROUPS,
    trap: type[BaseException] | tuple[type[BaseException], ...] = ChamelioError,
) -> Outcome:
    """Run one parsed test; exceptions of type ``trap`` count as a trap, any other
    exception is a failure naming the engine's crash."""
    path = test.path
    if test.skip_reason:
        return Outcome(path, "skip", test.skip_reason)
    if test.cpu_version > cpu_version:
        return Outcome(path, "skip", f"needs cpu v{test.cpu_version} (running v{cpu_version})")
    missing = sorted(test.groups - groups)
    if missing:
        return Outcome(path, "skip", f"needs conformance group(s) {', '.join(missing)}")
    try:
        r0 = engine(list(test.insns), test.mem) & _U64
    except EngineSkip as exc:
        return Outcome(path, "skip", f"engine: {exc}")
    except trap as exc:
        if test.error is not None:
            return Outcome(path, "pass", None)
        return Outcome(
            path, "fail",
            f"trapped ({type(exc).__name__}: {exc}); expected r0={test.result:#x} "
            f"(-- result at line {test.expect_line})",
        )  # fmt: skip
    except Exception as exc:  # an engine bug: report it, do not abort the suite
        return Outcome(path, "fail", f"engine crashed: {type(exc).__name__}: {exc}")
    if test.error is not None:
        return Outcome(
            path,
            "fail",
            f"expected an error (-- error at line {test.expect_line}), got r0={r0:#x}",
            r0,
        )
    if r0 != test.result:
        return Outcome(
            path, "fail",
            f"r0={r0:#x}, expected {test.result:#x} (-- result at line {test.expect_line})", r0,
        )  # fmt: skip
    return Outcome(path, "pass", None, r0)


def run_suite(
    paths: Iterable[Path | str],
    engine: Engine,
    *,
    cpu_version: int = 4,
    groups: Iterable[str] = DEFAULT_GROUPS,
    trap: type[BaseException] | tuple[type[BaseException], ...] = ChamelioError,
) -> Report:
    """Parse and run every ``.data`` file under ``paths`` (files or directories).

    A file that does not parse is a failure whose reason names its line. Tests needing a
    cpu version above ``cpu_version`` or a group not in ``groups`` are skipped."""
    selected = frozenset(groups)
    unknown = selected - set(isa.CONFORMANCE_GROUPS)
    if unknown:
        raise ChamelioError(f"unknown conformance group(s): {', '.join(sorted(unknown))}")
    report = Report()
    for path in data_files(paths):
        try:
            test = parse_file(path)
        except AsmError as exc:
            report.outcomes.append(Outcome(path, "fail", str(exc)))
            continue
        report.outcomes.append(
            run_test(test, engine, cpu_version=cpu_version, groups=selected, trap=trap)
        )
    return report
