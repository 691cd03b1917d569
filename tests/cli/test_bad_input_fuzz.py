"""Bad input at volume: the bpf_conformance negative tests, systematically damaged real ELF
objects, and hypothesis-fuzzed files for `chamelio disasm`, `exec`, `asm` and `verify`, all
in-process.

Whatever the input, the command returns 0, 1 or 2 (no exception but argparse's SystemExit
escapes ``main``) and a failure comes with one ``chamelio CMD: error: ...`` line (but a
`verify` rejection, exit 1, which is a report).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli import badinputs as bi

ERROR_HEAD = re.compile(r"^chamelio(?: [a-z]+)?: error: \S", re.M)
INSN_LIMIT = ("--insn-limit", "5000")  # random programs may loop: keep each run short
NEGATIVES = sorted(bi.NEGATIVE.glob("*.data"))
# These must be refused; the others are negative only for their -- result or -- error.
MUST_FAIL = ("invalid_", "unused-", "empty")


def check_no_crash(argv: list[str], codes: tuple[int, ...] = (0, 1, 2)) -> bi.Run:
    run = bi.run_in_process(argv)  # an exception other than SystemExit fails the test here
    context = f"{argv}: exit {run.code}\n--- stderr\n{run.err[-2000:]}"
    assert run.code in codes, context
    verdict = argv[0] == "verify" and run.code == 1  # a rejection is a report, not an error
    if run.code != 0 and not verdict:
        assert len(ERROR_HEAD.findall(run.err)) == 1, context
    return run


def sections(path: Path) -> dict[str, str]:
    """The ``-- name`` sections of a bpf_conformance data file."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-- "):
            current = found.setdefault(line[3:].strip(), [])
        elif current is not None:
            current.append(line)
    return {name: "\n".join(lines) + "\n" for name, lines in found.items()}


def raw_bytes(text: str) -> bytes:
    lines = (line.split("#")[0] for line in text.splitlines())
    return bytes.fromhex("".join(lines).replace(" ", ""))


def test_the_negative_corpus_is_there() -> None:
    assert len(NEGATIVES) >= 50, f"bpf_conformance negatives missing under {bi.NEGATIVE}"


@pytest.mark.parametrize("path", NEGATIVES, ids=[p.stem for p in NEGATIVES])
def test_negative_conformance_file(path: Path, tmp_path: Path) -> None:
    must_fail = path.name.startswith(MUST_FAIL)
    run = check_no_crash(["exec", str(path), *INSN_LIMIT], (2,) if must_fail else (0, 1, 2))
    assert "Traceback" not in run.err
    parts = sections(path)
    if "asm" in parts:
        source = tmp_path / f"{path.stem}.s"
        source.write_text(parts["asm"])
        out = tmp_path / "out.o"
        codes = (2,) if path.name.startswith("invalid_") else (0, 2)
        run = check_no_crash(["asm", str(source), "-o", str(out)], codes)
        assert out.exists() == (run.code == 0)
    if "raw" in parts:
        code = tmp_path / f"{path.stem}.bin"
        code.write_bytes(raw_bytes(parts["raw"]))
        check_no_crash(["disasm", str(code)], (0, 2))
        check_no_crash(["exec", str(code), *INSN_LIMIT], (2,) if must_fail else (0, 1, 2))


# ---------------------------------------------------------------------- damaged ELF
@pytest.mark.parametrize("seed", bi.ELF_SEEDS[:3])  # hypothesis mutates all of them
def test_damaged_elf_objects(seed: str, tmp_path: Path) -> None:
    data = (bi.SAMPLES / seed).read_bytes()
    path = tmp_path / "damaged.o"
    count = 0
    for _, damaged in bi.elf_corruptions(data, sections_limit=5):
        path.write_bytes(damaged)
        check_no_crash(["disasm", str(path)])
        check_no_crash(["exec", str(path), *INSN_LIMIT])
        count += 1
    assert count > 60


# ---------------------------------------------------------------------- fuzzing
SUFFIXES = st.sampled_from(["", ".bin", ".o", ".s", ".asm", ".data", ".txt"])
BLOBS = st.one_of(
    st.binary(max_size=600),
    st.binary(max_size=600).map(lambda b: b"\x7fELF" + b),
    st.binary(min_size=1, max_size=80).map(lambda b: b * (8 // len(b) + 1)),  # 8k-ish lengths
    st.lists(st.binary(min_size=8, max_size=8), max_size=40).map(b"".join),
)
ASM_TOKENS = st.sampled_from([
    "mov", "mov32", "add", "lddw", "ldxw", "stxdw", "stb", "ja", "jeq", "jslt", "call", "exit",
    "local", "lock", "fetch", "le16", "be64", "neg", "%r0", "%r1", "%r10", "%r11", "%r-1",
    "[%r1+4]", "[%r10-8]", "[%r1", "+", "-", ",", ":", "0x", "0xffffffffffffffffff",
    "-2147483649", "4294967296", "+32768", "lbl", "lbl:", "#", ".raw", "-- asm", "-- mem",
    "\t", "\u00e9", "\x00",
])  # fmt: skip
ASM_TEXT = st.lists(
    st.lists(ASM_TOKENS, min_size=1, max_size=6).map(" ".join), min_size=1, max_size=12
).map(lambda lines: "\n".join(lines) + "\n")
FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(data=BLOBS, suffix=SUFFIXES)
def test_random_files(scratch: Path, data: bytes, suffix: str) -> None:
    path = scratch / f"input{suffix}"
    path.write_bytes(data)
    check_no_crash(["disasm", str(path)])
    check_no_crash(["exec", str(path), *INSN_LIMIT])


@FUZZ
@given(
    seed=st.sampled_from(bi.ELF_SEEDS),
    writes=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                    min_size=1, max_size=8),
    cut=st.none() | st.floats(0, 1),
)
def test_mutated_elf_objects(
    scratch: Path, seed: str, writes: list[tuple[float, int]], cut: float | None
) -> None:
    data = bytearray((bi.SAMPLES / seed).read_bytes())
    for where, value in writes:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    path = scratch / "mutated.o"
    path.write_bytes(bytes(data))
    check_no_crash(["disasm", str(path)])
    check_no_crash(["exec", str(path), *INSN_LIMIT])


@FUZZ
@given(text=ASM_TEXT)
def test_random_assembly(scratch: Path, text: str) -> None:
    source = scratch / "random.s"
    source.write_text(text)
    out = scratch / "random.o"
    out.unlink(missing_ok=True)
    run = check_no_crash(["asm", str(source), "-o", str(out)], (0, 2))
    assert out.exists() == (run.code == 0)
    check_no_crash(["disasm", str(source)], (0, 2))
    check_no_crash(["exec", str(source), *INSN_LIMIT])


@FUZZ
@given(data=BLOBS, suffix=SUFFIXES)
def test_random_files_verify(scratch: Path, data: bytes, suffix: str) -> None:
    path = scratch / f"verify{suffix}"
    path.write_bytes(data)
    check_no_crash(["verify", str(path)])


@FUZZ
@given(
    seed=st.sampled_from(bi.ELF_SEEDS),
    writes=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                    min_size=1, max_size=8),
)
def test_mutated_elf_objects_verify(
    scratch: Path, seed: str, writes: list[tuple[float, int]]
) -> None:
    data = bytearray((bi.SAMPLES / seed).read_bytes())
    for where, value in writes:
        data[int(where * len(data))] = value
    path = scratch / "mutated-verify.o"
    path.write_bytes(bytes(data))
    check_no_crash(["verify", str(path)])
