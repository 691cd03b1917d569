"""The examples compiled to eBPF, in the Linux kernel, agree with their plain-Python runs.

Three loads of each example: ``compile_bpf`` output through the raw ``bpf(2)`` oracle
(``chamelio.ebpf.kernel``), the same object through libbpf (``bpftool prog load``), and the
object ``chamelio compile`` writes, through libbpf too. Each runs the example's packet corpus
(frames of at least 14 bytes: ``BPF_PROG_TEST_RUN`` needs an Ethernet header) and must give
the verdicts, output packets and map contents of the Python run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chamelio.lang import compile_bpf

from .corpora import BY_NAME, EXAMPLES, Example
from .harness import (
    EXAMPLES as EXAMPLES_DIR,
)
from .harness import (
    KernelHandler,
    MapDump,
    Outcome,
    PinnedProgram,
    bpftool,
    load_example,
    private_bpffs,
    python_dump,
    run_python,
)

pytestmark = pytest.mark.kernel
NAMES = [e.name for e in EXAMPLES]


@pytest.fixture(scope="module")
def objects() -> dict[str, bytes]:
    """Each example compiled once (lazily) for the whole module."""
    return {}


def compiled(objects: dict[str, bytes], name: str) -> bytes:
    if name not in objects:
        objects[name] = compile_bpf(load_example(name), hook="xdp")
    return objects[name]


def kernel_packets(ex: Example) -> list[bytes]:
    return [p for p in ex.packets() if len(p) >= 14]


def python_reference(ex: Example, packets: list[bytes]) -> tuple[list[Outcome], MapDump]:
    module = load_example(ex.name)
    ex.seed(module)
    outcomes = run_python(getattr(module, ex.handler), packets)
    return outcomes, python_dump(module)


def seeded(ex: Example):
    module = load_example(ex.name)
    ex.seed(module)
    return module


def assert_same(got: list[Outcome], want: list[Outcome], packets: list[bytes]) -> None:
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g == w, f"packet {i} ({len(packets[i])} bytes: {packets[i].hex()})"


@pytest.mark.parametrize("name", NAMES)
def test_the_kernel_oracle_agrees_with_python(kernel, objects, name):
    ex = BY_NAME[name]
    packets = kernel_packets(ex)
    want, want_maps = python_reference(ex, packets)
    with KernelHandler(compiled(objects, name)) as k:
        assert k.program_name == ex.handler
        k.seed(seeded(ex))
        assert_same(k.run(packets), want, packets)
        assert k.dump() == want_maps
    assert any(want_maps.values()), "the corpus should leave something in the maps"


@pytest.mark.parametrize("name", NAMES)
def test_libbpf_loads_the_object_unchanged_and_agrees(kernel, objects, tmp_path, name):
    ex = BY_NAME[name]
    packets = kernel_packets(ex)
    want, want_maps = python_reference(ex, packets)
    obj = tmp_path / f"{name}.o"
    obj.write_bytes(compiled(objects, name))
    with private_bpffs(tmp_path) as fs:
        prog = PinnedProgram(obj, fs / name, tmp_path)
        assert prog.info["type"] == "xdp" and "btf_id" in prog.info
        for map_id in prog.map_ids.values():
            info = json.loads(bpftool("-j", "map", "show", "id", str(map_id)))
            assert info.get("btf_id"), f"map {info['name']} has no BTF"
        assert set(prog.map_ids) == set(want_maps)
        prog.seed(seeded(ex))
        assert_same(prog.run(packets), want, packets)
        assert prog.dump() == want_maps


def chamelio_cli() -> list[str]:
    exe = Path(sys.executable).with_name("chamelio")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "chamelio.cli.main"]


@pytest.mark.parametrize("name", NAMES)
def test_chamelio_compile_writes_an_object_libbpf_loads(kernel, tmp_path, name):
    ex = BY_NAME[name]
    obj = tmp_path / "x.o"
    done = subprocess.run([*chamelio_cli(), "compile", str(EXAMPLES_DIR / f"{name}.py"),
                           "--hook", "xdp", "-o", str(obj)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert obj.read_bytes()[:4] == b"\x7fELF"
    packets = kernel_packets(ex)[:12]
    want, want_maps = python_reference(ex, packets)
    with private_bpffs(tmp_path) as fs:
        prog = PinnedProgram(obj, fs / "x", tmp_path)
        prog.seed(seeded(ex))
        assert_same(prog.run(packets), want, packets)
        assert prog.dump() == want_maps
