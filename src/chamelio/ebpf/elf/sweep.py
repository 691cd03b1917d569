"""Load every ``.o`` under a directory and summarise: loaded, rejected (why), crashed.

``python -m chamelio.ebpf.elf.sweep [ROOT]`` (default ``../shared/ebpf-samples``) prints the
summary and exits 1 if any object crashed the loader (an exception other than ElfError).
"""

from __future__ import annotations

import sys
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from chamelio.ebpf.elf.loader import load_object
from chamelio.ebpf.elf.objfile import ElfError, ObjectFile

DEFAULT_ROOT = Path("..") / "shared" / "ebpf-samples"


@dataclass(slots=True)
class SweepSummary:
    root: str
    loaded: dict[str, ObjectFile] = field(default_factory=dict)  # relative path -> object
    rejected: dict[str, str] = field(default_factory=dict)  # relative path -> reason
    crashed: dict[str, str] = field(default_factory=dict)  # relative path -> traceback
    programs: int = 0
    maps: int = 0
    needs_core: int = 0
    with_line_info: int = 0
    relocs: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def objects(self) -> int:
        return len(self.loaded) + len(self.rejected) + len(self.crashed)

    def add(self, rel: str, obj: ObjectFile) -> None:
        self.loaded[rel] = obj
        self.programs += len(obj.programs)
        self.maps += len(obj.maps)
        self.relocs.update(obj.reloc_counts())
        for prog in obj.programs:
            self.kinds[prog.kind] += 1
            self.needs_core += prog.needs_core
            self.with_line_info += bool(prog.line_info)

    def one_line(self) -> str:
        relocs = ", ".join(f"{k} {v}" for k, v in sorted(self.relocs.items()))
        return (
            f"{self.objects} objects: {len(self.loaded)} loaded, {len(self.rejected)} rejected, "
            f"{len(self.crashed)} crashed; {self.programs} programs, {self.maps} maps; "
            f"relocations: {relocs or 'none'}"
        )

    def lines(self) -> list[str]:
        out = [f"ELF sweep of {self.root}", self.one_line()]
        kinds = ", ".join(f"{k} {v}" for k, v in self.kinds.most_common())
        out.append(f"program kinds: {kinds or 'none'}")
        out.append(f"programs needing CO-RE: {self.needs_core}; with line info: "
                   f"{self.with_line_info}")  # fmt: skip
        if self.rejected:
            out.append("rejected:")
            out += [f"  {rel}: {reason}" for rel, reason in sorted(self.rejected.items())]
        if self.crashed:
            out.append("CRASHED (loader bugs):")
            for rel, tb in sorted(self.crashed.items()):
                out.append(f"  {rel}: {tb.strip().splitlines()[-1]}")
        return out


def sweep(root: str | Path = DEFAULT_ROOT) -> SweepSummary:
    """Load every ``*.o`` under ``root`` (recursively, in name order)."""
    base = Path(root)
    summary = SweepSummary(str(base))
    for path in sorted(base.rglob("*.o")):
        rel = str(path.relative_to(base))
        try:
            obj = load_object(path)
        except ElfError as exc:
            summary.rejected[rel] = exc.message.removeprefix(f"{path}: ")
        except Exception:  # a loader bug: record it, the caller fails on it
            summary.crashed[rel] = traceback.format_exc()
        else:
            summary.add(rel, obj)
    return summary


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else DEFAULT_ROOT
    if not root.is_dir():
        print(f"error: {root} is not a directory", file=sys.stderr)
        return 2
    summary = sweep(root)
    print("\n".join(summary.lines()))
    return 1 if summary.crashed else 0


if __name__ == "__main__":
    sys.exit(main())
