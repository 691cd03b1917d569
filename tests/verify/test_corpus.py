"""The labelled corpus (``tests/verify/corpus/``): every program gets the verdict its header
expects, a rejection names the expected reason, and accepted programs with a ``# cost:``
line get exactly that bound. See :mod:`tests.verify.corpus_runner` for the file format."""

from __future__ import annotations

from collections import Counter

import pytest

from .corpus_runner import PROFILES, Case, load_corpus, verdict_problem, verify_case

CASES = load_corpus()


def test_corpus_size_and_coverage() -> None:
    """At least 150 programs, roughly half unsafe, every profile with safe and unsafe ones."""
    by_kind = Counter((c.profile, c.accept) for c in CASES)
    lang = sum(c.is_lang for c in CASES)
    unsafe = sum(not c.accept for c in CASES)
    print(f"\ncorpus: {len(CASES)} programs ({len(CASES) - lang} assembly, {lang} lang), "
          f"{len(CASES) - unsafe} safe, {unsafe} unsafe, "
          f"{sum(c.cost is not None for c in CASES)} with an exact cost")  # fmt: skip
    for profile in PROFILES:
        print(f"  {profile:14} {by_kind[profile, True]:4} safe {by_kind[profile, False]:4} unsafe")
    assert len(CASES) >= 150
    assert 0.35 <= unsafe / len(CASES) <= 0.65
    for profile in PROFILES:
        assert by_kind[profile, True] >= 5 and by_kind[profile, False] >= 5, profile


def test_corpus_names_are_unique_and_descriptive() -> None:
    names = [c.name for c in CASES]
    assert len(set(names)) == len(names)
    prefixes = {"xdp": ("xdp_", "lang_xdp_"), "socket_filter": ("sk_", "lang_sk_"),
                "chamelio/rx": ("rx_", "lang_rx_"), "chamelio/tx": ("tx_", "lang_tx_")}  # fmt: skip
    for case in CASES:
        assert case.name.startswith(prefixes[case.profile]), f"{case.name}: name by profile"
        assert len(case.why) > 10, f"{case.name}: say why"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_corpus_case(case: Case) -> None:
    report = verify_case(case)
    problem = verdict_problem(case, report)
    assert problem is None, f"{problem}\n{report.format()}"
