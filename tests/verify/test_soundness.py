"""Soundness fuzzing: whatever the verifier accepts runs in the checked interpreter without a
trap, and never executes more instructions than the bound the verifier proved.

Programs: the corpus, mutants of the corpus (:mod:`chamelio.verify.mutate`: checks dropped,
offsets widened, pointers leaked ...), random valid XDP programs
(:class:`chamelio.ebpf.progfuzz.ProgramGenerator`) and their mutants. Every accepted program
runs on at least 5 random packets of 14..128 bytes (the chamelio hooks with and without flow
state). ``CHAMELIO_VERIFY_FUZZ=N`` sets the number of random programs (and scales the number
of mutants per corpus program); ``CHAMELIO_VERIFY_SEED`` repeats a run.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from chamelio.abi import hook
from chamelio.ebpf.elf import MapDef
from chamelio.ebpf.isa import Insn
from chamelio.ebpf.progfuzz import GenOptions, ProgramGenerator
from chamelio.verify.mutate import mask_returns, mutants

from .corpus_runner import (
    Case,
    build,
    listing,
    load_corpus,
    soundness_problem,
    verify_insns,
)

FUZZ = int(os.environ.get("CHAMELIO_VERIFY_FUZZ", "200"))
MUTANTS_PER_CASE = max(2, FUZZ // 30)
RUNS = 5  # random packets per accepted program
MIN_ACCEPTED_GENERATED = 0.5  # the generator's programs are kernel-valid: most must pass
# Mutants and random programs are verified with a small budget and complexity limit: a mutant
# that turned a loop endless would otherwise be explored up to the profile's default budget
# (xdp: 100,000), seconds per program. A budget only makes the verifier reject more.
FUZZ_BUDGET = 5000
FUZZ_MAX_STATES = 100_000


def _seed() -> int:
    given = os.environ.get("CHAMELIO_VERIFY_SEED")
    return int(given, 0) if given else random.SystemRandom().getrandbits(32)


@dataclass
class Tally:
    """Counts of one fuzz campaign and the soundness bugs it found."""

    label: str
    seed: int
    generated: int = 0
    accepted: int = 0
    rejected: int = 0
    ran: int = 0  # interpreter runs of accepted programs
    kinds: dict[str, list[int]] = field(default_factory=dict)  # mutation -> [made, accepted]
    bugs: list[str] = field(default_factory=list)

    def check(self, insns: Sequence[Insn], maps: Sequence[MapDef], profile: str,
              rng: random.Random, *, kind: str = "", flow: int | None = None,
              budget: int | None = FUZZ_BUDGET, max_states: int | None = FUZZ_MAX_STATES,
              origin: str = "", packets: Sequence[bytes] = ()) -> bool:
        """Verify ``insns``; run it if accepted. True when the verifier accepted it."""
        self.generated += 1
        made = self.kinds.setdefault(kind, [0, 0]) if kind else None
        if made is not None:
            made[0] += 1
        report = verify_insns(insns, profile, maps, budget, flow, max_states)
        if not report.accepted:
            self.rejected += 1
            return False
        self.accepted += 1
        if made is not None:
            made[1] += 1
        assert report.cost is not None, f"{origin}: accepted without a cost bound"
        problem = soundness_problem(insns, maps, profile, report.cost, rng, RUNS, flow, packets)
        self.ran += RUNS + len(packets)
        if problem is not None:
            self.bugs.append(f"{origin} ({profile}): accepted with cost {report.cost}, but {problem}\n"
                             f"{listing(insns)}")  # fmt: skip
        return True

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {a}/{m}" for k, (m, a) in sorted(self.kinds.items()))
        out = (f"{self.label} (seed {self.seed}; CHAMELIO_VERIFY_SEED={self.seed} repeats it): "
               f"{self.generated} generated, {self.accepted} accepted, {self.rejected} rejected, "
               f"{self.ran} interpreter runs, {len(self.bugs)} soundness bugs")  # fmt: skip
        return out + (f"\n  accepted/made per mutation: {kinds}" if kinds else "")


def _report(tally: Tally) -> None:
    print("\n" + tally.summary())
    assert not tally.bugs, "\n\n".join(tally.bugs[:3])


def test_accepted_corpus_programs_run_safely() -> None:
    seed = _seed()
    rng = random.Random(seed)
    tally = Tally("corpus", seed)
    for case in load_corpus():
        built = build(case)
        tally.check(built.insns, built.maps, case.profile, rng, flow=case.flow,
                    budget=case.budget, max_states=None, origin=case.name)  # fmt: skip
    _report(tally)
    assert tally.accepted >= 100  # the corpus's safe programs reach the interpreter


def _case_mutants(case: Case, rng: random.Random, tally: Tally) -> None:
    built = build(case)
    for m in mutants(built.insns, rng, MUTANTS_PER_CASE):
        tally.check(m.insns, built.maps, case.profile, rng, kind=m.kind, flow=case.flow,
                    budget=min(case.budget or hook(case.profile).default_budget, FUZZ_BUDGET),
                    origin=f"{case.name} mutated: {m.describe()}")  # fmt: skip


def test_mutated_corpus_programs_are_sound() -> None:
    seed = _seed()
    rng = random.Random(seed)
    tally = Tally(f"corpus mutants ({MUTANTS_PER_CASE} per program)", seed)
    for case in load_corpus():
        _case_mutants(case, rng, tally)
    _report(tally)
    assert tally.accepted > 0 and tally.rejected > tally.accepted  # mutants are mostly unsafe


def test_random_programs_and_their_mutants_are_sound() -> None:
    """Random valid XDP programs (their verdicts masked into 0..4 by ``mask_returns``) run
    on random packets and on the generator's own packet (long enough for the whole body)."""
    seed = _seed()
    rng = random.Random(seed)
    gen = ProgramGenerator(seed, GenOptions())
    plain = Tally(f"random XDP programs ({FUZZ})", seed)
    mutated = Tally("their mutants", seed)
    for _ in range(FUZZ):
        fuzz_case = gen.case()
        insns, origin = mask_returns(fuzz_case.insns), f"generate_case({fuzz_case.seed})"
        plain.check(insns, (), "xdp", rng, origin=origin, packets=[fuzz_case.packet])
        for m in mutants(insns, rng, 2):
            mutated.check(m.insns, (), "xdp", rng, kind=m.kind, packets=[fuzz_case.packet],
                          origin=f"{origin} with r0 masked, mutated: {m.describe()}")
    _report(plain)
    _report(mutated)
    assert plain.accepted >= MIN_ACCEPTED_GENERATED * plain.generated, (
        f"only {plain.accepted} of {plain.generated} kernel-valid random programs were accepted")
