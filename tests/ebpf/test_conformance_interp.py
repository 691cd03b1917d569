"""The bpf_conformance suite (../shared/bpf_conformance/tests) in the reference interpreter:
every test, every conformance group (callx and packet included), cpu v4."""

from __future__ import annotations

from pathlib import Path

import pytest

from chamelio.ebpf import isa
from chamelio.ebpf.conformance import run_suite
from chamelio.ebpf.interp import run_conformance

SUITE = Path(__file__).resolve().parents[2] / ".." / "shared" / "bpf_conformance" / "tests"
EXPECTED_TESTS = 313


@pytest.fixture(scope="module")
def suite() -> Path:
    if not SUITE.is_dir():
        pytest.skip(f"conformance suite not found at {SUITE.resolve()}")
    return SUITE


def test_every_conformance_test_passes_in_the_interpreter(suite):
    report = run_suite([suite], run_conformance, cpu_version=4, groups=isa.CONFORMANCE_GROUPS)
    print(f"\ninterpreter conformance: {report.format()}")
    assert report.total == EXPECTED_TESTS
    assert report.failed == 0, "\n".join(str(o) for o in report.failures)
    assert report.skipped == 0, "\n".join(str(o) for o in report.skips)
    assert report.passed == EXPECTED_TESTS


def test_runner_reports_skips_with_their_reason(suite):
    report = run_suite([suite], run_conformance, cpu_version=2)
    print(f"\ninterpreter conformance at cpu v2, default groups: {report.summary()}")
    assert report.failed == 0
    assert report.skipped > 0 and report.passed + report.skipped == EXPECTED_TESTS
    reasons = {o.name: o.reason for o in report.skips}
    assert reasons["callx"] == "needs conformance group(s) callx"
    assert reasons["sdiv32-imm"] == "needs cpu v4 (running v2)"
    assert all(reason for reason in reasons.values())
