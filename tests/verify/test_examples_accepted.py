"""The examples' handlers are accepted, with their worst-case cost bounds printed.

Each lang example (``examples/*.py``) is compiled with ``compile_bpf`` and each C example
(``examples/c/*.c``) with ``clang -target bpf``; the verifier must accept it under the
profile of its section. The checked interpreter then runs it on the example's own packet
corpus (lang) or on random frames (C) plus random frames: no run may trap or execute more
instructions than the proven bound. The printed line gives the bound and the longest run seen.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from chamelio.abi import hook_for_section
from chamelio.ebpf.elf import ObjectFile, load_object
from chamelio.lang import compile_bpf
from chamelio.verify import verify_object

from ..examples.corpora import EXAMPLES, Example
from .clang_build import C_EXAMPLES, compile_c, write_header
from .corpus_runner import make_interpreter, random_packet, run_once

REPO = Path(__file__).resolve().parents[2]
RANDOM_FRAMES = 40


def _check_runs(obj: ObjectFile, label: str, packets: list[bytes], rng: random.Random) -> None:
    prog = obj.programs[0]
    hook = hook_for_section(prog.section)
    assert hook is not None, f"{label}: section {prog.section!r} names no profile"
    report = verify_object(obj)
    assert report.accepted, f"{label} rejected:\n{report.format()}"
    assert report.cost is not None and 0 < report.cost <= hook.default_budget
    interp = make_interpreter(prog.insns, obj.maps, hook.name, report.cost + 1, seed=1)
    longest = 0
    frames = packets + [random_packet(rng) for _ in range(RANDOM_FRAMES)]
    for frame in frames:
        result = run_once(interp, hook.name, frame, rng)
        assert result.insns <= report.cost, f"{label}: ran {result.insns} > bound {report.cost}"
        longest = max(longest, result.insns)
    print(f"\n{label} ({hook.name}, {len(prog.insns)} slots): accepted, worst-case cost "
          f"{report.cost} (budget {hook.default_budget}); longest of {len(frames)} runs: "
          f"{longest} instructions ({report.stats.insns_processed} insns processed to prove it)")


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_lang_example_is_accepted(example: Example) -> None:
    source = (REPO / "examples" / f"{example.name}.py").read_text()
    obj = load_object(compile_bpf(source, entry=example.handler, hook="xdp"))
    rng = random.Random(example.name)
    _check_runs(obj, f"examples/{example.name}.py:{example.handler}", example.packets(), rng)


def test_every_lang_example_is_checked() -> None:
    on_disk = {p.stem for p in (REPO / "examples").glob("*.py")}
    assert on_disk == {e.name for e in EXAMPLES}


@pytest.mark.parametrize("source", sorted(C_EXAMPLES.glob("*.c")), ids=lambda p: p.name)
def test_c_example_is_accepted(source: Path, tmp_path: Path) -> None:
    header = write_header(tmp_path)
    obj = load_object(compile_c(source, tmp_path / f"{source.stem}.o", header.parent))
    _check_runs(obj, f"examples/c/{source.name}", [], random.Random(source.name))
