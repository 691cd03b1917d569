"""Cross-check with the kernel: loaded samples' maps are created, indexes patched to fds, and
the programs handed to BPF_PROG_LOAD. The samples target older kernels, so a verifier
refusal is acceptable; what must hold is that fds land exactly where the loader said maps
are referenced, and that a good share of the programs pass the real verifier."""

from __future__ import annotations

import struct
from contextlib import ExitStack
from pathlib import Path

import pytest

from chamelio.ebpf.elf import ObjectFile, Program, load_object
from chamelio.ebpf.kernel import (
    KernelMap,
    VerifierRejected,
    kernel_available,
    load_program,
    patch_map_fds,
)

pytestmark = pytest.mark.kernel

# (object, program or None for all, prog type override for .text-only test objects)
CANDIDATES: list[tuple[str, str | None, int | None]] = [
    ("linux/sockex1_kern.o", None, None),
    ("linux/sockex3_kern.o", None, None),  # prog array + tail calls
    ("linux/xdp1_kern.o", None, None),
    ("linux/xdp_fwd_kern.o", None, None),
    ("linux/xdp_redirect_cpu_kern.o", "xdp_cpu_map0", None),  # cpumap
    ("new_linux/sockex3_kern.o", "main_prog", None),
    ("cilium-examples/xdp_bpf_bpfel.o", None, None),  # BTF-defined map
    ("cilium-core/bpf_xdp.o", "cil_xdp_entry", None),  # .rodata.config values, BTF maps
    ("ovs/datapath.o", "xdp", None),  # EM_NONE + RELA
    ("build/global_variable.o", None, 1),  # .data/.rodata/.bss map values, as a socket filter
    ("build/bpf2bpf.o", None, 1),  # subprograms appended from .text, call offsets fixed up
]
UNSAFE = ("build/packet_overflow.o", "read_write_packet_start")  # must be refused


@pytest.fixture(scope="module")
def kernel() -> None:
    ok, reason = kernel_available()
    if not ok:
        print(f"\nskipping kernel cross-check: {reason}")
        pytest.skip(reason)


def _create_maps(stack: ExitStack, obj: ObjectFile, prog: Program) -> dict[int, int]:
    fds: dict[int, int] = {}
    for index in sorted({r.map_index for r in prog.map_relocs}):
        m = obj.maps[index]
        km = stack.enter_context(
            KernelMap.create(m.type, m.key_size, m.value_size, m.max_entries, m.flags)
        )
        if m.initial is not None:
            km.update(bytes(4), m.initial)
        fds[index] = km.fd
    return fds


def _check_patch(prog: Program, patched: bytes, fds: dict[int, int]) -> None:
    """Only the first-slot imm of map lddws changes, and it becomes the map's fd."""
    assert len(patched) == len(prog.code)
    relocs = {r.pc: r for r in prog.map_relocs}
    for pc in range(len(prog.code) // 8):
        before, after = prog.code[pc * 8 : pc * 8 + 8], patched[pc * 8 : pc * 8 + 8]
        if pc in relocs:
            assert after[:4] == before[:4] and after[1] >> 4 == prog.insns[pc].src
            assert struct.unpack("<i", after[4:])[0] == fds[relocs[pc].map_index]
        else:
            assert after == before, f"pc {pc} changed but holds no map reference"


def _load(obj: ObjectFile, prog: Program, prog_type: int) -> str:
    with ExitStack() as stack:
        fds = _create_maps(stack, obj, prog)
        patched = patch_map_fds(prog.code, fds)
        _check_patch(prog, patched, fds)
        try:
            stack.enter_context(load_program(patched, prog_type, license=obj.license or "GPL"))
        except VerifierRejected as exc:
            return f"refused: {(exc.log.strip().splitlines() or [''])[-1][:80]}"
    return "loaded"


def test_samples_load_into_the_kernel(kernel: None, samples: Path) -> None:
    results: dict[str, str] = {}
    for rel, name, override in CANDIDATES:
        obj = load_object(samples / rel)
        for prog in obj.programs:
            if name is not None and prog.name != name:
                continue
            prog_type = override or prog.prog_type
            assert prog_type is not None and not prog.needs_core
            results[f"{rel}:{prog.name}"] = _load(obj, prog, prog_type)
    print("\n" + "\n".join(f"  {k}: {v}" for k, v in results.items()))
    loaded = [k for k, v in results.items() if v == "loaded"]
    assert len(results) >= 15
    assert len(loaded) >= len(results) // 2, results
    # map-value relocations of global data and linked bpf-to-bpf calls are what the kernel
    # expects (both programs are safe: a refusal would point at the loader)
    assert results["build/global_variable.o:func"] == "loaded"
    assert results["build/bpf2bpf.o:func"] == "loaded"


def test_unsafe_sample_is_refused(kernel: None, samples: Path) -> None:
    rel, name = UNSAFE
    obj = load_object(samples / rel)
    prog = obj.program(name)
    assert prog.prog_type is not None
    assert _load(obj, prog, prog.prog_type).startswith("refused")


def test_value_offset_out_of_map_is_refused_by_the_kernel(kernel: None, samples: Path) -> None:
    """Moving a map-value offset past the value makes the kernel refuse the same program:
    it reads the offset from the second slot, as the loader wrote it."""
    obj = load_object(samples / "build" / "global_variable.o")
    prog = obj.programs[0]
    reloc = next(r for r in prog.map_relocs if r.kind == "map_value")
    code = bytearray(prog.code)
    struct.pack_into("<i", code, (reloc.pc + 1) * 8 + 4, obj.maps[reloc.map_index].value_size + 64)
    with ExitStack() as stack:
        fds = _create_maps(stack, obj, prog)
        assert stack.enter_context(load_program(patch_map_fds(prog.code, fds), 1))  # as loaded
        with pytest.raises(VerifierRejected):
            load_program(patch_map_fds(bytes(code), fds), 1).close()
