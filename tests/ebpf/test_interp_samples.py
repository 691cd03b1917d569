"""Programs written for the kernel run unchanged in the interpreter: every XDP and socket
filter program of ../shared/ebpf-samples that the interpreter can model and the kernel
accepts gives the same return value (and, for XDP, output packet) on a few packets.

Skipped, with the reason counted: programs calling helpers outside ``chamelio.abi`` or
non-deterministic ones (time, random), programs using map types the interpreter does not
model (program arrays, perf buffers, devmaps, LPM tries ...), objects the loader refuses
and programs the kernel verifier refuses.
"""

from __future__ import annotations

import os
import struct
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from chamelio.abi import HELPERS
from chamelio.ebpf import isa
from chamelio.ebpf.elf import ObjectFile, Program, load_object
from chamelio.ebpf.interp import Interpreter
from chamelio.ebpf.maps import MapError, map_from_def

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "ebpf-samples"
NONDETERMINISTIC = {5: "ktime_get_ns", 7: "get_prandom_u32"}  # cpu id: the test pins CPU 0
HOOK_BY_TYPE = {6: "xdp", 1: "socket_filter"}
# Left out to keep the test fast (loading them takes seconds): Cilium's XDP programs all use
# tail calls (program arrays) and Falco has no XDP or socket programs.
LARGE_PROJECTS = {"cilium", "cilium-core", "falco"}
MIN_COMPARED = 20  # programs compared at the time of writing: 21


def _packets() -> list[bytes]:
    eth = bytes(6) + bytes([2, 0, 0, 0, 0, 1]) + b"\x08\x00"
    tcp_ip = bytes([0x45, 0, 0, 48, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2])
    tcp = struct.pack(">HHIIBBHHH", 1234, 80, 1, 0, 0x50, 0x02, 1000, 0, 0)
    udp_ip = bytes([0x45, 0, 0, 40, 0, 0, 0, 0, 64, 17, 0, 0, 192, 168, 1, 1, 10, 0, 0, 2])
    udp = struct.pack(">HHHH", 53, 53, 20, 0)
    return [eth + tcp_ip + tcp + bytes(8), eth + udp_ip + udp + bytes(12),
            bytes(12) + b"\x86\xdd" + bytes(60), bytes(14)]  # fmt: skip


def _programs() -> Iterator[tuple[Path, ObjectFile | None, Program | None, str]]:
    for path in sorted(SAMPLES.rglob("*.o")):
        if path.relative_to(SAMPLES).parts[0] in LARGE_PROJECTS:
            continue
        try:
            obj = load_object(path)
        except Exception as exc:  # the loader's own tests judge these
            yield path, None, None, f"loader: {type(exc).__name__}"
            continue
        for prog in obj.programs:
            if prog.prog_type in HOOK_BY_TYPE:
                yield path, obj, prog, ""


def _why_not_modelled(obj: ObjectFile, prog: Program) -> str | None:
    for pc, insn in enumerate(prog.insns):
        if insn.opcode == isa.OP_CALL and insn.src == 0:
            if insn.imm not in HELPERS:
                return f"helper {insn.imm} is not in chamelio.abi"
            if insn.imm in NONDETERMINISTIC:
                return f"non-deterministic helper {NONDETERMINISTIC[insn.imm]}"
        if insn.is_lddw and insn.src in (isa.BPF_PSEUDO_MAP_FD, isa.BPF_PSEUDO_MAP_VALUE):
            try:
                map_from_def(obj.maps[insn.imm])
            except MapError:
                return f"map type {obj.maps[insn.imm].type} is not modelled"
            except IndexError:
                return f"pc {pc}: bad map index"
    return None


def _kernel_run(obj: ObjectFile, prog: Program, packet: bytes) -> tuple[int, bytes]:
    from chamelio.ebpf.kernel.objects import KernelObject

    with KernelObject(obj, prog.name, prog.prog_type or 0, log_level=0) as kobj:
        result = kobj.run(packet)
    return result.retval, result.data_out


@pytest.fixture
def on_cpu_0() -> Iterator[None]:
    """Run on CPU 0, where the interpreter's get_smp_processor_id says it runs."""
    before = os.sched_getaffinity(0)
    if 0 not in before:
        pytest.skip("CPU 0 is not available to this process")
    os.sched_setaffinity(0, {0})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def test_sample_programs_agree_with_the_kernel(kernel, on_cpu_0):
    from chamelio.ebpf.kernel import KernelError, VerifierRejected

    if not SAMPLES.is_dir():
        pytest.skip(f"ebpf-samples not found at {SAMPLES.resolve()}")
    skipped: Counter[str] = Counter()
    compared, runs, problems = 0, 0, []
    for path, obj, prog, reason in _programs():
        if obj is None or prog is None:
            skipped[reason] += 1
            continue
        why = _why_not_modelled(obj, prog)
        if why:
            skipped[why] += 1
            continue
        hook = HOOK_BY_TYPE[prog.prog_type or 0]
        label = f"{path.relative_to(SAMPLES)}:{prog.name} ({hook})"
        ran = 0
        for packet in _packets():
            try:
                retval, data_out = _kernel_run(obj, prog, packet)
            except VerifierRejected:
                skipped["kernel verifier refuses it"] += 1
                break
            except KernelError as exc:
                skipped[f"kernel: {exc.message[:50]}"] += 1
                break
            try:  # fresh maps for every packet, as in the kernel run
                ours = Interpreter(prog.insns, obj.maps, hook=hook).run_packet(packet)
            except Exception as exc:
                problems.append(f"{label}: interpreter: {exc}")
                break
            if ours.r0 & 0xFFFF_FFFF != retval:
                problems.append(f"{label}: r0 {ours.r0:#x} vs kernel {retval:#x}")
            elif hook == "xdp" and ours.packet != data_out:
                problems.append(f"{label}: output packet differs")
            ran += 1
        compared += ran > 0
        runs += ran
    print(f"\nebpf-samples: {compared} programs compared on {runs} packets; skipped: "
          + ", ".join(f"{n} × {why}" for why, n in skipped.most_common()))  # fmt: skip
    assert not problems, "\n".join(problems)
    assert compared >= MIN_COMPARED
