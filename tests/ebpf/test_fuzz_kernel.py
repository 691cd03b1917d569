"""Differential fuzzing: random valid XDP programs give the same return value and output
packet in the reference interpreter as in the kernel (BPF_PROG_TEST_RUN).

Each run draws a fresh seed (printed; set ``CHAMELIO_FUZZ_SEED`` to repeat a run) and
``CHAMELIO_FUZZ_PROGRAMS`` programs (2000 by default). A failing case prints its own seed:
``chamelio.ebpf.progfuzz.generate_case(seed)`` rebuilds exactly that program and packet.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import dataclass, field

import pytest

from chamelio.ebpf import isa
from chamelio.ebpf.disasm import disassemble
from chamelio.ebpf.interp import Interpreter
from chamelio.ebpf.progfuzz import FuzzCase, GenOptions, ProgramGenerator, generate_case

PROGRAMS = int(os.environ.get("CHAMELIO_FUZZ_PROGRAMS", "2000"))
MAX_REJECTED_SHARE = 0.02  # the generator must be right: the verifier accepts its programs
U32 = 0xFFFF_FFFF


def _run_seed() -> int:
    given = os.environ.get("CHAMELIO_FUZZ_SEED")
    return int(given, 0) if given else random.SystemRandom().getrandbits(32)


@dataclass
class _Tally:
    ran: int = 0
    short: int = 0  # packets below PACKET_MIN: the early-exit path
    rejected: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)


def _describe(case: FuzzCase, problem: str) -> str:
    listing = "\n".join(f"    {line}" for line in disassemble(case.insns))
    return (f"case seed {case.seed} (generate_case({case.seed})): {problem}\n"
            f"  packet ({len(case.packet)} bytes): {case.packet.hex()}\n  program:\n{listing}")  # fmt: skip


def _packet_diff(ours: bytes, theirs: bytes) -> str:
    if len(ours) != len(theirs):
        return f"packet length {len(ours)} vs kernel {len(theirs)}"
    diffs = [f"[{i}:{i + 8}] {ours[i:i + 8].hex()} vs kernel {theirs[i:i + 8].hex()}"
             for i in range(0, len(ours), 8) if ours[i:i + 8] != theirs[i:i + 8]]  # fmt: skip
    return "packet differs: " + "; ".join(diffs[:6])


def _check(case: FuzzCase, tally: _Tally) -> None:
    from chamelio.ebpf.kernel import VerifierRejected, load_program

    try:
        with load_program(case.code, "xdp", log_level=0) as prog:
            kernel = prog.test_run(case.packet)
    except VerifierRejected as exc:
        tail = " | ".join(exc.log.strip().splitlines()[-3:])
        tally.rejected.append(_describe(case, f"verifier rejected it: {tail}"))
        return
    tally.ran += 1
    tally.short += len(case.packet) < 128
    try:
        ours = Interpreter(case.insns, hook="xdp").run_packet(case.packet)
    except Exception as exc:
        tally.mismatches.append(_describe(case, f"the interpreter failed: {exc}"))
        return
    problems = []
    if ours.r0 & U32 != kernel.retval:
        problems.append(f"r0 {ours.r0:#x} vs kernel retval {kernel.retval:#x}")
    if ours.packet != kernel.data_out:
        problems.append(_packet_diff(ours.packet or b"", kernel.data_out))
    if problems:
        tally.mismatches.append(_describe(case, "; ".join(problems)))


def _fuzz(count: int, options: GenOptions, label: str) -> None:
    seed = _run_seed()
    gen = ProgramGenerator(seed, options)
    tally = _Tally()
    for _ in range(count):
        _check(gen.case(), tally)
    print(f"\nkernel fuzz ({label}), seed {seed} (CHAMELIO_FUZZ_SEED={seed} repeats it): "
          f"{count} programs, {tally.ran} ran in both ({tally.short} on short packets), "
          f"{len(tally.rejected)} rejected by the verifier, "
          f"{len(tally.mismatches)} mismatches")  # fmt: skip
    for text in tally.rejected[:3]:
        print(text)
    assert len(tally.rejected) <= MAX_REJECTED_SHARE * count, tally.rejected[0]
    assert not tally.mismatches, "\n".join(tally.mismatches[:3])


def test_random_programs_agree_with_the_kernel(kernel):
    _fuzz(PROGRAMS, GenOptions(), "cpu v4, calls, atomics")


def test_random_older_isa_programs_agree_with_the_kernel(kernel):
    _fuzz(max(PROGRAMS // 10, 50), GenOptions(cpu=2, calls=False), "cpu v2, no calls")


# ----------------------------------------------------------- the generator itself
def test_generator_is_deterministic():
    a, b = generate_case(1234), generate_case(1234)
    assert a.insns == b.insns and a.packet == b.packet
    first = [ProgramGenerator(9).case().seed for _ in range(2)]
    assert first[0] == first[1]


def _features(insns: list[isa.Insn]) -> set[str]:
    seen: set[str] = set()
    for insn in insns:
        cls = insn.cls
        if insn.is_lddw or insn.opcode == 0:
            seen.add("lddw")
        elif cls in (isa.BPF_ALU, isa.BPF_ALU64):
            name = isa.ALU_OPS.get(insn.op, "end")
            if insn.op in (isa.BPF_DIV, isa.BPF_MOD) and insn.off:
                name = "s" + name
            if insn.op == isa.BPF_MOV and insn.off:
                name = "movsx"
            if insn.op == isa.BPF_END:
                name = "bswap" if cls == isa.BPF_ALU64 else ("be" if insn.source else "le")
            width = "64" if cls == isa.BPF_ALU64 else "32"
            seen.add(f"{name}{width}{'x' if insn.source and insn.op != isa.BPF_END else ''}")
        elif cls in (isa.BPF_JMP, isa.BPF_JMP32):
            seen.add(f"{'jmp32' if cls == isa.BPF_JMP32 else 'jmp'}:{insn.op:#x}")
        elif insn.mode == isa.BPF_ATOMIC:
            seen.add(f"atomic:{insn.imm:#x}:{insn.size:#x}")
        else:
            seen.add(f"{cls}:{insn.mode:#x}:{insn.size:#x}")
    return seen


def test_generator_covers_the_instruction_set():
    gen = ProgramGenerator(77)
    seen: Counter[str] = Counter()
    for _ in range(300):
        seen.update(_features(gen.case().insns))
    alu = [f"{name}{w}{x}" for name in ("add", "sub", "mul", "div", "or", "and", "lsh", "rsh",
                                        "mod", "xor", "mov", "arsh", "sdiv", "smod")
           for w in ("32", "64") for x in ("", "x")]  # fmt: skip
    wanted = [*alu, "neg32", "neg64", "movsx32x", "movsx64x", "le32", "be32", "bswap64", "lddw"]
    wanted += [f"{c}:{op:#x}" for c in ("jmp", "jmp32") for op in isa.JMP_OPS]
    wanted += ["jmp:0x0", "jmp32:0x0", "jmp:0x80", "jmp:0x90"]  # ja, ja32, call, exit
    wanted += [f"atomic:{imm:#x}:{size:#x}" for imm in isa.ATOMIC_IMMS
               for size in (isa.BPF_W, isa.BPF_DW)]  # fmt: skip
    wanted += [f"{isa.BPF_LDX}:{mode:#x}:{size:#x}" for mode in (isa.BPF_MEM, isa.BPF_MEMSX)
               for size in (isa.BPF_B, isa.BPF_H, isa.BPF_W)]  # fmt: skip
    wanted += [f"{cls}:{isa.BPF_MEM:#x}:{isa.BPF_DW:#x}" for cls in (isa.BPF_ST, isa.BPF_STX)]
    missing = [w for w in wanted if not seen[w]]
    assert not missing, missing


@pytest.mark.parametrize("options", [GenOptions(), GenOptions(cpu=1, calls=False, atomics=False)])
def test_generated_programs_are_well_formed_and_never_trap(options):
    gen = ProgramGenerator(5, options)
    for _ in range(150):
        case = gen.case()
        isa.validate(case.insns)
        cpu, _groups = isa.program_requirements(case.insns)
        assert cpu <= options.cpu, case.seed
        result = Interpreter(case.insns, hook="xdp").run_packet(case.packet)
        assert result.packet is not None and len(result.packet) == len(case.packet)
