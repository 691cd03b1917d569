"""The worst-case cost: instructions plus helper costs over the longest path, loops by their
proven trip counts, the budget; checked against the interpreter on random programs."""

from __future__ import annotations

import dataclasses
import importlib.util
import random
from pathlib import Path

import pytest

from chamelio.abi import hook
from chamelio.ebpf.elf import load_object
from chamelio.ebpf.interp import Interpreter
from chamelio.ebpf.progfuzz import ProgramGenerator
from chamelio.verify import verify, verify_object

from .asm_programs import TAIL, XDP_PROLOGUE, accepts, asm, check, rejects

REPO = Path(__file__).resolve().parents[2]


def test_straight_line_cost_is_the_instruction_count() -> None:
    r = accepts("mov %r0, 0\nadd %r0, 1\nlddw %r1, 0x100000000\nmov %r0, 2\nexit")
    assert r.cost == 5  # lddw is one instruction


def test_branches_take_the_longest_side() -> None:
    r = accepts("""
        call 7
        jgt %r0, 100, long
        mov %r0, 1
        exit
    long:
        mov %r1, 1
        mov %r1, 2
        mov %r1, 3
        mov %r0, 2
        exit
    """)
    assert r.cost == 8 + 2 + 5  # get_prandom_u32 costs 8
    assert r.worst_path == [0, 4]


def test_infeasible_branches_do_not_count() -> None:
    r = accepts("""
        mov %r1, 5
        jgt %r1, 100, long
        mov %r0, 1
        exit
    long:
        mov %r1, 1
        mov %r1, 2
        mov %r1, 3
        mov %r0, 2
        exit
    """)
    assert r.cost == 4


def test_helper_costs_come_from_the_abi() -> None:
    ktime = hook("xdp").helpers[[h.name for h in hook("xdp").helpers].index("ktime_get_ns")]
    r = accepts("call 5\nmov %r0, 2\nexit")
    assert r.cost == 3 + ktime.worst_cost()


@pytest.mark.parametrize(("size", "bound"), [("mov %r4, 8", 8), ("ldxb %r4, [%r6+12]\nand %r4, 12", 12)])
def test_helper_cost_grows_with_the_size_bounds(size: str, bound: int) -> None:
    """csum_diff reads both buffers: the bytes of each size argument cost."""
    csum = hook("xdp").helpers[-1]
    assert csum.name == "csum_diff"
    text = XDP_PROLOGUE + check(64) + f"""
        mov %r3, %r2
        mov %r1, %r2
        mov %r2, 4
        {size}
        mov %r5, 0
        call 28
        mov %r0, 2
        exit
    """ + TAIL
    r = accepts(text)
    insns = len(asm(text)) - 2  # the tail (mov, exit) is not on the worst path
    assert r.cost == insns + csum.cost + (4 + bound) * csum.cost_per_byte


def test_every_call_of_a_function_counts() -> None:
    once = accepts("mov %r1, 1\ncall local f\nexit\nf:\nmov %r0, %r1\nadd %r0, 1\nexit")
    twice = accepts("mov %r1, 1\ncall local f\nmov %r1, %r0\ncall local f\nexit\n"
                    "f:\nmov %r0, %r1\nadd %r0, 1\nexit")  # fmt: skip
    assert once.cost == 6
    assert twice.cost == 11


def test_budget_is_enforced_with_the_path_that_exceeds_it() -> None:
    loop = """
        mov %r0, 0
    top:
        add %r0, 1
        jlt %r0, 100, top
        mov %r0, 0
        exit
    """
    r = accepts(loop, budget=203)
    assert r.cost == 203
    r = rejects(loop, "exceeds the budget", budget=202)
    assert r.cost is not None and r.cost > 202
    assert r.error is not None and r.error.path[:3] == [0, 1, 1]
    assert "the loop at pc 1" in r.error.hint


def test_profile_default_budget() -> None:
    loop = "mov %r0, 0\ntop:\nadd %r0, 1\njlt %r0, {n}, top\nmov %r0, 0\nexit"
    assert hook("chamelio/rx").default_budget == 2000
    r = rejects(loop.format(n=1000), "the budget is 2000", "chamelio/rx")
    assert r.to_json()["cost"] is not None
    accepts(loop.format(n=1000), "chamelio/rx", budget=3000)
    accepts(loop.format(n=1000), "xdp")


def test_rejection_for_the_budget_stops_early() -> None:
    """A loop of 10**9 iterations is rejected once the path passes the budget."""
    r = rejects("lddw %r0, 1000000000\ntop:\nsub %r0, 1\njne %r0, 0, top\nexit",
                "exceeds the budget", "socket_filter", budget=1000)
    assert r.stats.insns_processed < 2000


def _example(name: str, func: str) -> object:
    path = REPO / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, func)


EXAMPLES = [("xdp_counter", "count_packets"), ("udp_port_filter", "filter_udp"),
            ("ipv4_checksum", "check_ipv4"), ("tcp_flags", "classify_tcp")]  # fmt: skip


@pytest.mark.parametrize(("name", "func"), EXAMPLES)
def test_examples_are_accepted_with_a_bound_the_interpreter_respects(name: str, func: str) -> None:
    from chamelio.lang import compile_bpf

    obj = load_object(compile_bpf(_example(name, func), hook="xdp"))
    report = verify_object(obj)
    print(f"{name}: {report.format()}")
    assert report.accepted, report.format()
    assert report.cost is not None and len(obj.programs[0].insns) // 3 < report.cost < 2000
    interp = Interpreter(obj.programs[0].insns, obj.maps, hook="xdp")
    rng = random.Random(name)
    longest = 0
    for n in range(200):
        frame = bytearray(rng.randbytes(rng.randint(0, 90)))
        if len(frame) >= 34 and n % 2:
            frame[12:14] = b"\x08\x00"
            frame[14] = 0x45 + (n % 3)
            frame[23] = rng.choice((6, 17))
        result = interp.run_packet(bytes(frame))
        longest = max(longest, result.insns)
    print(f"  longest run: {longest} instructions")
    assert longest <= report.cost


def test_random_programs_run_within_their_bound() -> None:
    """Soundness smoke: programs from the kernel-valid generator are accepted (return range
    relaxed: they return arbitrary numbers), then run on random packets in the checked
    interpreter without a trap and within the proven instruction bound."""
    relaxed = dataclasses.replace(hook("xdp"), ret_max=(1 << 64) - 1)
    gen = ProgramGenerator(seed=2026)
    accepted = 0
    for _ in range(40):
        case = gen.case()
        report = verify(case.insns, relaxed)
        assert report.accepted, f"seed {case.seed}: {report.format()}"
        accepted += 1
        assert report.cost is not None
        interp = Interpreter(case.insns, hook="xdp")
        for packet in (case.packet, gen.packet(), gen.packet()):
            result = interp.run_packet(packet)
            assert result.insns <= report.cost, f"seed {case.seed}"
    assert accepted == 40
