"""The ``.data`` parser and the suite runner (with the kernel as a real engine)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from chamelio.ebpf import isa
from chamelio.ebpf.asm import AsmError
from chamelio.ebpf.conformance import (
    DEFAULT_GROUPS,
    DataFileError,
    Engine,
    EngineSkip,
    Report,
    data_files,
    parse_file,
    parse_text,
    run_suite,
)
from chamelio.ebpf.isa import Insn
from chamelio.errors import ChamelioError

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "bpf_conformance"
SUITE = data_files([SHARED / "tests"])


def test_the_whole_suite_parses_with_its_requirements() -> None:
    tests = {t.name: t for t in map(parse_file, SUITE)}
    assert len(tests) == 313
    assert all(t.skip_reason is None and t.result is not None for t in tests.values())
    assert sum(1 for t in tests.values() if t.mem) == 40
    assert sum(1 for t in tests.values() if t.raw is not None) == 1
    cpus = Counter(t.cpu_version for t in tests.values())
    assert set(cpus) == {1, 2, 3, 4}
    assert tests["add"].cpu_version == 1 and tests["add"].groups == {"base32"}
    assert tests["jlt-imm"].cpu_version == 2
    assert tests["jeq32-imm"].cpu_version == 3
    assert tests["lock_add32"].cpu_version == 3 and "atomic32" in tests["lock_add32"].groups
    assert tests["ja32"].cpu_version == 4 and tests["sdiv64-reg"].cpu_version == 4
    assert tests["callx"].groups >= {"callx"}
    assert tests["mem-len"].mem and tests["mem-len"].result == 8
    assert (
        tests["lddw"].raw is not None and isa.encode(list(tests["lddw"].insns)) == tests["lddw"].raw
    )


def test_sections_values_and_comments() -> None:
    test = parse_text(
        "# header comment\n-- asm\nmov %r0, 1 # one\nexit\n-- mem\n00 01\nff  # tail\n"
        "-- c\nint x; -- not a directive in the middle of a line\n-- result\n0xffffffffffffffff\n",
        "t.data",
    )
    assert test.mem == b"\x00\x01\xff" and test.result == 2**64 - 1 and test.expect_line == 10
    assert test.insns == (Insn(0xB7, imm=1), Insn(0x95)) and test.name == "t"
    assert parse_text("-- asm\nexit\n-- result\n-1\n").result == 2**64 - 1
    raw = parse_text("-- raw\nb7 00 00 00 05 00 00 00\n0x0000000000000095\n-- error\nboom\n")
    assert raw.insns == (Insn(0xB7, imm=5), Insn(0x95)) and raw.error == "boom"
    assert parse_text("-- asm\nexit\n-- error\n").error == ""


def test_unknown_directives_skip_with_the_line() -> None:
    test = parse_text("-- asm\nexit\n-- no jit\nreason\n-- result\n0x0\n")
    assert test.skip_reason == "unknown directive '-- no jit' at line 3"
    ignored = parse_text("-- asm\nexit\n-- no register offset\ncall instruction\n-- result\n0\n")
    assert ignored.skip_reason is None


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "no -- asm or -- raw"),
        ("-- asm\n# nothing\n-- result\n0\n", 1, "no instructions"),
        ("-- asm\nexit\n", 2, "no -- result or -- error"),
        ("-- asm\nexit\n-- result\n1\n-- error\nx\n", 5, "both"),
        ("-- asm\nexit\n-- result\n1\n2\n", 3, "exactly one value"),
        ("-- asm\nexit\n-- result\nzz\n", 4, "invalid number"),
        ("-- asm\nexit\n-- mem\n00\n0g\n-- result\n0\n", 5, "invalid hex byte"),
        ("-- asm\nexit\n-- asm\nexit\n", 3, "duplicate section"),
        ("-- asm\nexit\nexit\n-- raw\n0x95\n0x0000000100000095\n-- result\n0\n", 6, "disagrees"),
        ("-- raw\n0x95\n95 00 00\n-- result\n0\n", 3, "multiple of 8"),
        ("-- raw\n0x95\n0x18\n-- result\n0\n", 3, "truncated"),
        ("-- asm\nmov %r0, 1\nja +1\nbogus\n-- result\n0\n", 4, "invalid mnemonic"),
    ],
)
def test_malformed_files_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(AsmError) as info:
        parse_text(text, "bad.data")
    assert info.value.line == line, str(info.value)
    assert message in str(info.value) and str(info.value).startswith(f"bad.data:{line}: ")


def test_runtime_negative_files_parse_to_runnable_tests() -> None:
    error = parse_file(SHARED / "negative" / "error.data")
    assert error.error == "Invalid" and error.result is None and error.expect_line == 6
    wrong = parse_file(SHARED / "negative" / "incorrect_return_value_high_bits.data")
    assert wrong.result == 0x8977665544332211 and len(wrong.mem) == 12


# ------------------------------------------------------------------ the runner
def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.data"
    path.write_text(text)
    return path


def test_runner_skips_by_cpu_and_group_without_calling_the_engine() -> None:
    def never(insns: list[Insn], mem: bytes) -> int:
        raise AssertionError("the engine must not run skipped tests")

    report = run_suite(
        [SHARED / "tests" / "ja32.data", SHARED / "tests" / "callx.data"], never, cpu_version=3
    )
    reasons = {o.name: o.reason for o in report.outcomes}
    assert reasons == {
        "ja32": "needs cpu v4 (running v3)",
        "callx": "needs conformance group(s) callx",
    }
    assert (report.passed, report.failed, report.skipped) == (0, 0, 2)
    assert "callx" not in DEFAULT_GROUPS and "packet" not in DEFAULT_GROUPS
    with pytest.raises(ChamelioError, match="unknown conformance group"):
        run_suite([], never, groups=["base32", "bogus"])


def test_runner_reports_files_that_do_not_parse_and_engine_crashes(tmp_path: Path) -> None:
    def crashes(insns: list[Insn], mem: bytes) -> int:
        table: dict[str, int] = {}
        return table["missing"]  # a bug inside an engine

    _write(tmp_path, "a_bad", "-- asm\nbogus\n-- result\n0\n")
    _write(tmp_path, "b_ok", "-- asm\nexit\n-- result\n0\n")
    report = run_suite([tmp_path], crashes)
    bad, ok = report.outcomes
    assert bad.status == "fail" and "a_bad.data:2: invalid mnemonic" in (bad.reason or "")
    assert ok.status == "fail" and (ok.reason or "").startswith("engine crashed: KeyError")
    assert report.summary() == "passed 0, failed 2, skipped 0 (of 2)"


@pytest.fixture(scope="module")
def kernel_engine() -> Engine:
    """The kernel as a conformance engine: XDP test run on a dummy packet, r0 as u32.

    It cannot pass ``-- mem`` to the program (r1 is the XDP context), so it declines those."""
    kernel = pytest.importorskip("chamelio.ebpf.kernel")
    ok, why = kernel.kernel_available()
    if not ok:
        pytest.skip(f"bpf(2) unavailable: {why}")

    def engine(insns: list[Insn], mem: bytes) -> int:
        if mem:
            raise EngineSkip("the XDP engine cannot pass memory")
        with kernel.load_program(isa.encode(insns), "xdp") as prog:
            return int(prog.test_run(bytes(64)).retval)

    return engine


@pytest.mark.kernel
def test_runner_with_the_kernel_engine(tmp_path: Path, kernel_engine: Engine) -> None:
    _write(tmp_path, "pass", "-- asm\nmov %r0, 2\nexit\n-- result\n0x2\n")
    _write(tmp_path, "wrong", "# c\n-- asm\nmov %r0, 2\nexit\n-- result\n0x3\n")
    _write(tmp_path, "trap", "-- asm\nja +0\nexit\n-- error\nuninitialised r0\n")
    _write(tmp_path, "no_trap", "-- asm\nmov %r0, 1\nexit\n-- error\n")
    _write(tmp_path, "mem", "-- asm\nmov %r0, 1\nexit\n-- mem\n01\n-- result\n1\n")
    report = run_suite([tmp_path, SHARED / "negative" / "error.data"], kernel_engine)
    assert isinstance(report, Report)
    got = {o.name: (o.status, o.reason) for o in report.outcomes}
    assert got["pass"] == ("pass", None)
    assert got["wrong"] == ("fail", "r0=0x2, expected 0x3 (-- result at line 5)")
    assert got["trap"] == ("pass", None)  # the verifier refuses reading r0: a trap
    assert got["no_trap"] == ("fail", "expected an error (-- error at line 4), got r0=0x1")
    assert got["mem"] == ("skip", "engine: the XDP engine cannot pass memory")
    assert got["error"][0] == "pass"  # reads r0 uninitialised: refused like a trap
    assert (report.passed, report.failed, report.skipped) == (3, 2, 1)
    assert report.format().splitlines()[0] == report.summary()
    assert "FAIL wrong: r0=0x2" in report.format()


def test_data_file_error_is_an_asm_error() -> None:
    assert issubclass(DataFileError, AsmError) and issubclass(EngineSkip, ChamelioError)


def test_every_negative_file_is_rejected_by_the_runner_naming_the_line() -> None:
    """Static problems fail at parse time, unknown directives skip, and the two files that
    are only wrong when run fail under the reference interpreter; every reason names a line."""
    interp = pytest.importorskip("chamelio.ebpf.interp")
    negative = data_files([SHARED / "negative"])
    report = run_suite(negative, interp.run_conformance)
    assert report.total == len(negative) >= 60 and report.passed == 0
    for outcome in report.outcomes:
        assert re.search(r"(:\d+: |line \d+)", outcome.reason or ""), outcome
    by_name = report.by_name()
    assert by_name["error"].reason is not None and "-- error at line 6" in by_name["error"].reason
    wrong = by_name["incorrect_return_value_high_bits"]
    assert wrong.status == "fail" and "-- result at line 8" in (wrong.reason or "")
