"""Cross-check against the Linux kernel's verifier on the ``xdp`` profile.

Programs: the corpus's xdp programs, random valid XDP programs (verdicts masked into range)
and mutants of both. Each is verified by us and loaded with ``BPF_PROG_LOAD``.

*We accept, the kernel rejects for a safety reason* is the disagreement that matters; its
kernel log is shown. Kernel refusals about the kernel's own limits or conventions rather than
safety (complexity, unreachable code, alignment, combined stack of nested calls, context
fields the kernel hides from plain XDP programs, ``# kernel: stricter`` corpus programs) are
counted apart. On the corpus every such disagreement fails the test. On random programs and
mutants the kernel is sometimes the less precise one (it forgets a constant half of a stack
slot and then "detects" an endless loop that never runs), so there a disagreement fails the
test when the checked interpreter confirms it (a trap or a run longer than our bound on the
program's packets); unconfirmed ones are listed for a human to judge.

The opposite disagreement (we reject, the kernel accepts: we forbid pointer leaks,
uninitialised stack reads and verdicts out of range, which a privileged kernel load allows)
is reported as a rate. ``CHAMELIO_VERIFY_FUZZ=N`` sets the number of random programs;
``CHAMELIO_VERIFY_SEED`` picks the seed (fixed by default, so a kernel imprecision does not
make the test flaky).
"""

from __future__ import annotations

import os
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chamelio.abi import XDP_MD, ValueKind
from chamelio.ebpf import isa
from chamelio.ebpf.elf import MapDef
from chamelio.ebpf.isa import Insn
from chamelio.ebpf.progfuzz import GenOptions, ProgramGenerator
from chamelio.verify.mutate import mask_returns, mutants

from .corpus_runner import build, listing, load_corpus, soundness_problem, verify_insns

FUZZ = int(os.environ.get("CHAMELIO_VERIFY_FUZZ", "200"))
SEED = int(os.environ.get("CHAMELIO_VERIFY_SEED", "20261203"), 0)
FUZZ_BUDGET = 5000  # as in test_soundness: keeps mutants with endless loops quick to reject
FUZZ_MAX_STATES = 100_000
CONFIRM_RUNS = 40  # random packets the interpreter tries on an unconfirmed disagreement
# Kernel refusals that are about the kernel's own limits or conventions, not memory safety.
NOT_SAFETY = (
    "unreachable insn",
    "BPF program is too large",
    "too complex",
    "misaligned",
    "combined stack size",
    "div by zero",  # an immediate zero divisor: defined by the ISA (the result is 0)
    "invalid shift",  # an immediate shift >= the width: the ISA masks it
)
_CTX_ACCESS = re.compile(r"invalid bpf_context access off=(-?\d+) size=(\d+)")


def kernel_verdict(insns: Sequence[Insn], maps: Sequence[MapDef]) -> tuple[bool, str]:
    """``(accepted, log)`` of the kernel verifier for ``insns`` as an XDP program, with
    real maps created for ``maps`` (a refusal before verification counts as a rejection)."""
    from chamelio.ebpf.kernel import KernelError, VerifierRejected
    from chamelio.ebpf.kernel.objects import KernelObject

    try:
        with KernelObject.from_code(isa.encode(list(insns)), maps, "xdp", log_level=0):
            return True, ""
    except VerifierRejected as exc:
        return False, exc.log or exc.message
    except KernelError as exc:
        return False, f"refused before verification: {exc.message}"


def kernel_limit(log: str) -> bool:
    """True when the kernel's refusal is not about safety: one of :data:`NOT_SAFETY`, or a
    load of a scalar ``xdp_md`` field the kernel withholds (a narrow load, or
    ``egress_ifindex`` outside devmap programs) that the ABI grants."""
    if any(marker in log for marker in NOT_SAFETY):
        return True
    lines = log.splitlines()
    for at, line in enumerate(lines):
        m = _CTX_ACCESS.search(line)
        if m is None:
            continue
        insn = lines[at - 1] if at else ""
        if not re.search(r"r\d+ = \*\(", insn):  # a store (or an unknown insn): safety
            return False
        off, size = int(m.group(1)), int(m.group(2))
        fld = XDP_MD.field_at(off, size) if off >= 0 else None
        return fld is not None and fld.kind is ValueKind.SCALAR
    return False


def _last_lines(log: str, n: int = 4) -> str:
    return " | ".join(log.strip().splitlines()[-n:])


@dataclass
class Agreement:
    label: str
    confirm: bool  # random programs: fail only on disagreements the interpreter confirms
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    total: int = 0
    both_accept: int = 0
    both_reject: int = 0
    we_stricter: int = 0  # we reject, the kernel accepts
    kernel_limits: int = 0  # we accept, the kernel refuses for a non-safety reason
    over_budget: int = 0  # we reject for the budget or complexity: not loaded
    unsound: list[str] = field(default_factory=list)  # we accept, the kernel says unsafe
    unconfirmed: list[str] = field(default_factory=list)  # ... and the interpreter disagrees
    stricter_reasons: Counter[str] = field(default_factory=Counter)

    def add(self, insns: Sequence[Insn], maps: Sequence[MapDef], origin: str, *,
            known_stricter: bool = False, budget: int | None = FUZZ_BUDGET,
            max_states: int | None = FUZZ_MAX_STATES, packets: Sequence[bytes] = ()) -> None:
        self.total += 1
        ours = verify_insns(insns, "xdp", maps, budget, None, max_states)
        if _over_budget(ours):
            # Our budget is policy, not safety, and such programs (endless or long loops)
            # cost the kernel seconds to refuse at its own complexity limit: not compared.
            self.over_budget += 1
            return
        theirs, log = kernel_verdict(insns, maps)
        if ours.accepted and theirs:
            self.both_accept += 1
        elif not ours.accepted and not theirs:
            self.both_reject += 1
        elif not ours.accepted:
            self.we_stricter += 1
            message = ours.error.message if ours.error else ""
            self.stricter_reasons[_reason_class(message)] += 1
        elif known_stricter or kernel_limit(log):
            self.kernel_limits += 1
        else:
            text = (f"{origin}: we accept (cost {ours.cost}), the kernel rejects:\n"
                    f"  kernel: {_last_lines(log)}")  # fmt: skip
            if not self.confirm:
                self.unsound.append(f"{text}\n{listing(insns)}")
                return
            problem = soundness_problem(insns, maps, "xdp", ours.cost, self.rng, CONFIRM_RUNS,
                                        extra=packets)  # fmt: skip
            if problem is None:
                self.unconfirmed.append(f"{text}\n  interpreter: no violation on "
                                        f"{CONFIRM_RUNS + len(packets)} packets")  # fmt: skip
            else:
                self.unsound.append(f"{text}\n  interpreter: {problem}\n{listing(insns)}")

    def summary(self) -> str:
        compared = self.total - self.over_budget
        rate = self.we_stricter / compared if compared else 0.0
        reasons = ", ".join(f"{k} {v}" for k, v in self.stricter_reasons.most_common(8))
        out = (f"{self.label}: {self.total} programs ({self.over_budget} over our budget, not "
               f"compared); both accept {self.both_accept}, both "
               f"reject {self.both_reject}; we reject & kernel accepts {self.we_stricter} "
               f"({rate:.1%}){' [' + reasons + ']' if reasons else ''}; kernel-only limits "
               f"{self.kernel_limits}; we accept & kernel rejects for safety "
               f"{len(self.unsound) + len(self.unconfirmed)}")  # fmt: skip
        if self.confirm:
            out += f" ({len(self.unsound)} confirmed by the interpreter)"
        for text in self.unconfirmed[:3]:
            out += "\n  unconfirmed (kernel less precise?): " + text.replace("\n", "\n    ")
        return out


def _over_budget(report: Any) -> bool:
    """A rejection for the cost budget (the report carries the cost that broke it) or the
    verifier's complexity limit."""
    if report.accepted:
        return False
    message = report.error.message if report.error is not None else ""
    return report.cost is not None or "too complex" in message


def _reason_class(message: str) -> str:
    """A short bucket for a rejection message (for the rate's breakdown)."""
    text = message.lower()
    for key in ("uninitialised stack", "read before it is written", "pointer", "return value",
                "budget", "packet", "stack", "helper", "context", "map", "loop", "null"):
        if key in text:
            return key
    return text.split(":")[0][:40]


def _finish(agreement: Agreement) -> None:
    print("\n" + agreement.summary())
    assert not agreement.unsound, "\n\n".join(agreement.unsound[:3])


def test_kernel_limit_classification() -> None:
    assert kernel_limit("0: (61) r0 = *(u32 *)(r1 +20)\ninvalid bpf_context access off=20 size=4")
    assert kernel_limit("3: (71) r2 = *(u8 *)(r1 +16)\ninvalid bpf_context access off=16 size=1")
    assert not kernel_limit("0: (61) r0 = *(u32 *)(r1 +24)\ninvalid bpf_context access off=24 size=4")
    assert not kernel_limit("0: (69) r2 = *(u16 *)(r1 +0)\ninvalid bpf_context access off=0 size=2")
    assert not kernel_limit("0: (62) *(u32 *)(r1 +12) = 0\ninvalid bpf_context access off=12 size=4")
    assert not kernel_limit("R2 invalid mem access 'scalar'")
    assert kernel_limit("BPF program is too large. Processed 1000001 insn")


def test_corpus_xdp_programs_agree_with_the_kernel(kernel: None) -> None:
    agreement = Agreement("kernel cross-check, corpus (xdp)", confirm=False)
    for case in load_corpus():
        if case.profile != "xdp":
            continue
        built = build(case)
        agreement.add(built.insns, built.maps, case.name, known_stricter=case.kernel_note is not None,
                      budget=case.budget, max_states=None)  # fmt: skip
    _finish(agreement)
    assert agreement.both_accept >= 50 and agreement.both_reject >= 50


def test_mutated_corpus_programs_agree_with_the_kernel(kernel: None) -> None:
    rng = random.Random(SEED)
    agreement = Agreement(f"kernel cross-check, corpus mutants (seed {SEED})", confirm=True)
    for case in load_corpus():
        if case.profile != "xdp":
            continue
        built = build(case)
        for m in mutants(built.insns, rng, 2):
            agreement.add(m.insns, built.maps, f"{case.name} mutated: {m.describe()}")
    _finish(agreement)


def test_random_programs_agree_with_the_kernel(kernel: None) -> None:
    rng = random.Random(SEED)
    gen = ProgramGenerator(SEED, GenOptions())
    plain = Agreement(f"kernel cross-check, {FUZZ} random programs (seed {SEED})", confirm=True)
    mutated = Agreement("kernel cross-check, their mutants", confirm=True)
    for _ in range(FUZZ):
        case = gen.case()
        insns, origin = mask_returns(case.insns), f"generate_case({case.seed}) with r0 masked"
        plain.add(insns, (), origin, packets=[case.packet])
        for m in mutants(insns, rng, 2):
            mutated.add(m.insns, (), f"{origin}, mutated: {m.describe()}", packets=[case.packet])
    _finish(plain)
    _finish(mutated)
    assert plain.both_accept >= FUZZ // 2
