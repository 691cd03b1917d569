"""The emitted objects in the real kernel: loaded by libbpf (bpftool) and by raw bpf(2)."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from chamelio.ebpf.kernel import KernelMap, load_program, patch_map_fds
from chamelio.lang.bpf import emit_bpf_object

from .objfile import program
from .programs import XDP_DROP, XDP_PASS, xdp_call_module, xdp_counter_module

pytestmark = pytest.mark.kernel

COUNTER_IR = str(xdp_counter_module())


def packet(first: int, size: int = 64) -> bytes:
    return bytes([first]) + bytes(range(1, size))


def bpftool(*args: str | Path) -> str:
    done = subprocess.run(["bpftool", *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, f"bpftool {' '.join(map(str, args))}:\n{done.stderr}"
    return done.stdout


@pytest.fixture
def bpffs(kernel: None, tmp_path: Path) -> Iterator[Path]:
    """A private bpf filesystem mount (so pins never meet other tests'), removed after."""
    if shutil.which("bpftool") is None:
        pytest.skip("bpftool is not installed")
    mount = tmp_path / "bpffs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "bpf", "bpf", str(mount)], capture_output=True, text=True)
    assert done.returncode == 0, f"cannot mount a bpf filesystem: {done.stderr}"
    before = set(mount.iterdir())  # the kernel's own entries (maps.debug, progs.debug)
    try:
        yield mount
    finally:
        try:
            for pin in set(mount.iterdir()) - before:
                pin.unlink()
        finally:
            subprocess.run(["umount", str(mount)], check=False)


def run_pinned(pin: Path, data: bytes, tmp_path: Path, repeat: int = 1) -> int:
    data_in = tmp_path / "data_in"
    data_in.write_bytes(data)
    out = bpftool(
        "prog", "run", "pinned", pin, "data_in", data_in,
        "data_out", tmp_path / "data_out", "repeat", str(repeat),
    )  # fmt: skip
    found = re.search(r"Return value: (\d+)", out)
    assert found, out
    return int(found[1])


def test_libbpf_loads_btf_maps_and_the_program_runs(bpffs, tmp_path):
    obj = tmp_path / "counter.o"
    obj.write_bytes(emit_bpf_object(COUNTER_IR))
    pin = bpffs / "counter"
    bpftool("prog", "load", obj, pin, "type", "xdp")
    info = json.loads(bpftool("-j", "prog", "show", "pinned", pin))
    assert info["type"] == "xdp" and info["name"] == "count" and info["gpl_compatible"]
    assert "btf_id" in info and len(info["map_ids"]) == 1

    assert run_pinned(pin, packet(7), tmp_path, repeat=3) == XDP_PASS
    assert run_pinned(pin, packet(0xFF), tmp_path) == XDP_DROP
    assert run_pinned(pin, packet(7), tmp_path) == XDP_PASS

    (map_id,) = info["map_ids"]
    map_info = json.loads(bpftool("-j", "map", "show", "id", str(map_id)))
    assert map_info["type"] == "hash" and map_info["name"] == "counts"
    assert (map_info["bytes_key"], map_info["bytes_value"], map_info["max_entries"]) == (4, 8, 64)
    entries = json.loads(bpftool("-j", "map", "dump", "id", str(map_id)))
    # "formatted" appears only because the map carries BTF for its key and value.
    counts = {e["formatted"]["key"]: e["formatted"]["value"] for e in entries}
    assert counts == {7: 4, 0xFF: 1}

    # .BTF.ext line info made it into the kernel, with the source text.
    listing = bpftool("prog", "dump", "xlated", "pinned", pin, "linum")
    assert "value = counts.lookup(key)" in listing
    assert "counter.py line_num:5" in listing


def test_libbpf_loads_a_bpf_to_bpf_call(bpffs, tmp_path):
    obj = tmp_path / "calls.o"
    obj.write_bytes(emit_bpf_object(str(xdp_call_module())))
    pin = bpffs / "calls"
    bpftool("prog", "load", obj, pin, "type", "xdp")
    assert run_pinned(pin, packet(1), tmp_path) == XDP_PASS
    assert run_pinned(pin, packet(0xFF), tmp_path) == XDP_DROP
    assert run_pinned(pin, packet(1, size=16), tmp_path) == XDP_DROP  # shorter than 20


@pytest.mark.parametrize("cpu", ["v1", "v2", "v3", "v4"])
def test_raw_bpf_syscall_runs_every_cpu_version(kernel, cpu):
    insns, maps = program(emit_bpf_object(COUNTER_IR, cpu=cpu), "xdp")
    assert maps == ["counts"]
    with KernelMap.create("hash", 4, 8, 64, name="counts") as counts:
        code = patch_map_fds(insns, {0: counts.fd})
        with load_program(code, "xdp", name="count") as prog:
            assert prog.test_run(packet(9), repeat=5).retval == XDP_PASS
            assert prog.test_run(packet(0xFF)).retval == XDP_DROP
        assert counts.lookup(struct.pack("<I", 9)) == struct.pack("<Q", 5)
        assert counts.lookup(struct.pack("<I", 0xFF)) == struct.pack("<Q", 1)
        assert counts.lookup(struct.pack("<I", 1)) is None
