"""What the verifier says: a :class:`Report` (accepted or not, the worst-case cost) and, for a
rejected program, the :class:`Rejection` (pc, instruction, source line, registers, hint and
the path that leads there). ``format()`` is for people, ``to_json()`` for tools."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

PATH_PRINT_LIMIT = 40  # pcs of a path shown in text reports


@dataclass(frozen=True, slots=True)
class Rejection:
    pc: int
    message: str
    insn_text: str
    line: str | None  # "file:line:col source text" when the object has line info
    regs: str  # the abstract registers (and stack) just before the instruction
    hint: str
    path: list[int] = field(default_factory=list)  # pcs where the path branched, then pc

    def format(self) -> str:
        out = [f"pc {self.pc}: {self.insn_text}", f"  error: {self.message}"]
        if self.line:
            out.append(f"  source: {self.line}")
        if self.regs:
            out.append(f"  state: {self.regs}")
        if self.path:
            out.append(f"  path: {format_path(self.path)}")
        if self.hint:
            out.append(f"  hint: {self.hint}")
        return "\n".join(out)


@dataclass(slots=True)
class Stats:
    insns_processed: int = 0  # abstract instructions executed over all explored paths
    states: int = 0  # states remembered at prune points
    pruned: int = 0  # states dropped because a remembered one covered them
    max_frames: int = 1  # deepest call chain
    slots: int = 0  # instruction slots in the program

    def as_dict(self) -> dict[str, int]:
        return {"insns_processed": self.insns_processed, "states": self.states,
                "pruned": self.pruned, "max_frames": self.max_frames, "slots": self.slots}  # fmt: skip


@dataclass(slots=True)
class Report:
    accepted: bool
    cost: int | None  # worst-case cost (accepted), or the cost that broke the budget
    error: Rejection | None
    profile: str
    stats: Stats = field(default_factory=Stats)
    budget: int = 0
    worst_path: list[int] = field(default_factory=list)  # accepted: branch pcs of the worst path

    def to_json(self) -> dict[str, Any]:
        """``{"accepted", "cost", "error": null | {"pc", "message", "line"}}``."""
        error = None
        if self.error is not None:
            error = {"pc": self.error.pc, "message": self.error.message, "line": self.error.line}
        return {"accepted": self.accepted, "cost": self.cost, "error": error}

    def json(self) -> str:
        return json.dumps(self.to_json())

    def format(self) -> str:
        s = self.stats
        tail = (f"({s.insns_processed} insns processed, {s.states} states, {s.pruned} pruned, "
                f"{s.slots} slots)")  # fmt: skip
        if self.accepted:
            lines = [f"accepted for {self.profile}: worst-case cost {self.cost} "
                     f"(budget {self.budget}) {tail}"]  # fmt: skip
            if self.worst_path:
                lines.append(f"  worst path: {format_path(self.worst_path)}")
            return "\n".join(lines)
        assert self.error is not None
        head = f"rejected for {self.profile} {tail}"
        return head + "\n" + self.error.format()

    def __str__(self) -> str:
        return self.format()


def format_path(path: list[int]) -> str:
    if len(path) <= PATH_PRINT_LIMIT:
        return " -> ".join(map(str, path))
    half = PATH_PRINT_LIMIT // 2
    head = " -> ".join(map(str, path[:half]))
    tail = " -> ".join(map(str, path[-half:]))
    return f"{head} -> ... ({len(path) - 2 * half} more) ... -> {tail}"
