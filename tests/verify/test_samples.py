"""The XDP and socket-filter programs of ``../shared/ebpf-samples`` (real objects from real
projects), verified under the matching kernel profile, next to PREVAIL's verdicts.

The printed table has one row per program: object, section, function, our verdict (accept
with its cost bound, or reject with a short reason) and PREVAIL's status from
``prevail_elf_inventory.json`` (``pass``; ``fail: <kind>`` where PREVAIL is known to be too
imprecise; ``reject`` where the sample is meant to be rejected; ``load error``). Most samples
call kernel helpers the Chamelio ABI does not offer (redirects, tail calls, perf events), so
most rejections say so. The test asserts that nothing crashes the verifier, that the count is
sane, and that no sample PREVAIL's suite marks as invalid is accepted.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from chamelio.ebpf.elf import ElfError, ObjectFile, Program, load_object
from chamelio.errors import ChamelioError
from chamelio.verify import verify_object

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "ebpf-samples"
INVENTORY = SAMPLES / "prevail_elf_inventory.json"
PROFILE_OF_KIND = {"xdp": "xdp", "socket": "socket_filter"}
REASON_WIDTH = 62


@dataclass
class Row:
    obj: str  # path relative to the samples root
    section: str
    function: str
    slots: int
    accepted: bool | None  # None: the verifier raised a ChamelioError (bad input)
    cost: int | None
    reason: str
    prevail: str

    def ours(self) -> str:
        if self.accepted:
            return f"accept, cost {self.cost}"
        return ("reject: " if self.accepted is False else "error: ") + self.reason


@lru_cache(maxsize=1)
def _inventory() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(INVENTORY.read_text())
    return data


def prevail_status(rel: str, section: str, function: str) -> str:
    """PREVAIL's status of one program from the inventory (``-`` when it is not listed)."""
    project, _, name = rel.partition("/")
    entry = _inventory()["projects"].get(project, {}).get("objects", {}).get(name)
    if entry is None:
        return "-"
    programs = entry.get("sections", {}).get(section)
    if not programs:
        return "-"
    match = next((p for p in programs if p.get("function") == function), programs[0])
    if match.get("reject_load"):
        return f"load error: {match.get('reject_load_reason', '?')}"
    overrides = entry.get("test_overrides", {})
    override = (overrides.get("programs", {}).get(section, {}).get(function)
                or overrides.get("sections", {}).get(section))  # fmt: skip
    if override is None:
        return "pass"
    status = str(override.get("status", "?"))
    if status == "expected_failure":
        return f"fail: {override.get('kind', '?')}"
    return status


def _short(message: str) -> str:
    text = " ".join(message.split())
    return text if len(text) <= REASON_WIDTH else text[: REASON_WIDTH - 3] + "..."


def _verify(rel: str, obj: ObjectFile, index: int, prog: Program, profile: str) -> Row:
    prevail = prevail_status(rel, prog.section, prog.name)
    try:
        report = verify_object(obj, index, profile)
    except ChamelioError as exc:
        return Row(rel, prog.section, prog.name, len(prog.insns), None, None,
                   _short(exc.message), prevail)  # fmt: skip
    reason = "" if report.error is None else _short(report.error.message)
    return Row(rel, prog.section, prog.name, len(prog.insns), report.accepted, report.cost,
               reason, prevail)  # fmt: skip


def sample_rows() -> tuple[list[Row], dict[str, str]]:
    """Every xdp and socket program of every loadable sample object; and the objects
    skipped because the ELF loader refused them (with why)."""
    rows: list[Row] = []
    skipped: dict[str, str] = {}
    for path in sorted(SAMPLES.rglob("*.o")):
        rel = str(path.relative_to(SAMPLES))
        try:
            obj = load_object(path)
        except ElfError as exc:
            skipped[rel] = exc.message
            continue
        for index, prog in enumerate(obj.programs):
            profile = PROFILE_OF_KIND.get(prog.kind)
            if profile is not None:
                rows.append(_verify(rel, obj, index, prog, profile))
    return rows, skipped


def _table(rows: list[Row]) -> str:
    head = ("object", "section", "function", "slots", "ours", "PREVAIL")
    cells = [head] + [(r.obj, r.section, r.function, str(r.slots), r.ours(), r.prevail)
                      for r in rows]  # fmt: skip
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(len(head))).rstrip() for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def test_ebpf_samples_table() -> None:
    if not SAMPLES.is_dir():
        pytest.skip(f"{SAMPLES} is not there (the shared reference samples)")
    rows, skipped = sample_rows()
    accepted = [r for r in rows if r.accepted]
    errors = [r for r in rows if r.accepted is None]
    both = Counter((bool(r.accepted), r.prevail.split(":")[0]) for r in rows)
    print(f"\nebpf-samples: {len(rows)} xdp/socket programs in {len({r.obj for r in rows})} "
          f"objects ({len(skipped)} objects the ELF loader refused); ours: {len(accepted)} "
          f"accepted, {len(rows) - len(accepted) - len(errors)} rejected, {len(errors)} errors")
    print("ours vs PREVAIL: " + ", ".join(
        f"{'accept' if ok else 'reject'}/{status} {n}" for (ok, status), n in sorted(both.items())))
    print(_table(rows))
    assert len(rows) >= 50, "too few xdp/socket programs found: is the samples tree complete?"
    assert 5 <= len(accepted) < len(rows)
    assert not errors, "the verifier refused a loaded program as bad input:\n" + "\n".join(
        f"{r.obj} {r.section} {r.function}: {r.reason}" for r in errors)
    invalid = [r for r in accepted if r.prevail == "reject"]
    assert not invalid, f"accepted samples PREVAIL's suite marks invalid: {invalid}"


def test_prevail_status_lookup() -> None:
    if not INVENTORY.is_file():
        pytest.skip(f"{INVENTORY} is not there")
    assert prevail_status("linux/xdp1_kern.o", "xdp1", "xdp1") == "pass"
    assert prevail_status("build/wronghelper.o", "xdp", "func") == "reject"
    assert prevail_status("build/dependent_read.o", "xdp", "dependent_read") == \
        "fail: VerifierBoundsTracking"
    assert prevail_status("build/nothing.o", "xdp", "f") == "-"
