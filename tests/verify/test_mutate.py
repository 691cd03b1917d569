"""``chamelio.verify.mutate``: insertion keeps every jump, call and function address pointing
at the same instruction; every mutation yields a structurally valid program."""

from __future__ import annotations

import random

import pytest

from chamelio.ebpf import isa
from chamelio.ebpf.asm import assemble
from chamelio.ebpf.interp import Interpreter
from chamelio.ebpf.isa import Insn
from chamelio.ebpf.progfuzz import generate_case
from chamelio.verify.mutate import MUTATIONS, insert, jump_target, mask_returns, mutate, slots

NOP = Insn(isa.OP_JA)


def _run(insns: list[Insn], packet: bytes) -> tuple[int, bytes | None]:
    result = Interpreter(insns, hook="xdp").run_packet(packet)
    return result.r0, result.packet


@pytest.mark.parametrize("seed", range(12))
def test_inserting_a_nop_anywhere_keeps_the_behaviour(seed: int) -> None:
    case = generate_case(seed)  # diamonds, ja32, bpf-to-bpf calls, lddw
    expected = _run(case.insns, case.packet)
    rng = random.Random(seed)
    for at in rng.sample(slots(case.insns), 8):
        changed = insert(case.insns, at, [NOP, NOP])
        assert changed is not None
        isa.validate(changed)
        assert _run(changed, case.packet) == expected, f"insert at pc {at}"


def test_insert_fixes_calls_and_function_addresses() -> None:
    insns = assemble("""
        lddw %r2, func(f)
        call local f
        ja32 done
        mov %r0, 9
    done:
        exit
    f:
        mov %r0, 1
        exit
    """)
    changed = insert(insns, 3, [NOP])  # between the lddw/call and their target
    assert changed is not None
    targets = {pc: jump_target(pc, changed[pc]) for pc in slots(changed)}
    assert targets[0] == targets[2] == 7  # lddw func and call local still reach f
    assert targets[4] == 6  # ja32 (moved to pc 4) still reaches exit


def test_insert_reports_an_offset_that_no_longer_fits() -> None:
    far = [Insn(isa.OP_JA, off=32767), *[NOP] * 32767, Insn(isa.OP_EXIT)]
    assert insert(far, 1, [NOP]) is None
    assert insert(far, 0, [NOP]) is not None  # before the jump: its offset is unchanged


def test_mask_returns_puts_every_verdict_in_range() -> None:
    case = generate_case(3)
    masked = mask_returns(case.insns)
    exits = [pc for pc in slots(masked) if masked[pc].opcode == isa.OP_EXIT]
    assert exits and all(masked[pc - 1] == Insn(isa.BPF_ALU64 | isa.BPF_AND, 0, imm=3) for pc in exits)
    assert _run(masked, case.packet)[0] <= 3


# Hand-written shapes the random generator never makes: map lookups with null checks.
LOOKUP = """
    mov %r6, %r1
    stw [%r10-4], 0
    lddw %r1, map_fd(0)
    mov %r2, %r10
    add %r2, -4
    call 1
    jeq %r0, 0, out
    ldxw %r2, [%r6+0]
    stxdw [%r0+0], %r2
out:
    mov %r0, 2
    exit
"""


def _programs() -> list[list[Insn]]:
    return [generate_case(seed).insns for seed in range(14)] + [assemble(LOOKUP)] * 6


@pytest.mark.parametrize("kind", sorted(MUTATIONS))
def test_every_mutation_applies_and_stays_valid(kind: str) -> None:
    rng = random.Random(kind)
    made = 0
    for insns in _programs():
        mutant = mutate(insns, rng, [kind])
        if mutant is None:
            continue
        made += 1
        isa.validate(mutant.insns)
        assert mutant.kind == kind and mutant.insns != insns
        assert kind in mutant.describe()
    assert made >= 6, f"{kind} applied to only {made} of 20 programs"


def test_mutate_is_deterministic_and_checks_names() -> None:
    insns = generate_case(5).insns
    a = mutate(insns, random.Random(1))
    b = mutate(insns, random.Random(1))
    assert a is not None and a == b
    with pytest.raises(KeyError, match="unknown mutation"):
        mutate(insns, random.Random(1), ["no_such_mutation"])
