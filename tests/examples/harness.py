"""Running a handler three ways on the same packets: plain Python, the kernel through the raw
``bpf(2)`` oracle, and the kernel through libbpf (``bpftool``).

A *run* is a list of :class:`Outcome` (verdict and output packet per input) plus the contents
of every map afterwards as ``{name: {key bytes: value bytes}}``. Array maps list only their
non-zero slots, so a Python dump and a kernel dump compare directly.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import shutil
import subprocess
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chamelio.ebpf.elf import load_object
from chamelio.ebpf.kernel import KernelMap, LoadedProgram
from chamelio.ebpf.kernel.objects import KernelObject, kernel_map_name
from chamelio.lang import XdpCtx
from chamelio.lang.runtime.maps import ArrayMap, _Map

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
MapDump = dict[str, dict[bytes, bytes]]
_counter = itertools.count()


@dataclass(frozen=True)
class Outcome:
    verdict: int
    packet: bytes


def load_example(name: str) -> types.ModuleType:
    """A fresh module object for ``examples/<name>.py`` (fresh, empty maps every time)."""
    path = EXAMPLES / f"{name}.py"
    mod_name = f"chamelio_example_{name}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module  # inspect.getsource needs to find it
    spec.loader.exec_module(module)
    return module


def module_maps(module: types.ModuleType) -> dict[str, _Map]:
    return {k: v for k, v in vars(module).items() if isinstance(v, _Map)}


def _nonzero(items: dict[bytes, bytes], array: bool) -> dict[bytes, bytes]:
    if not array:
        return dict(items)
    return {k: v for k, v in items.items() if any(v)}


def python_dump(module: types.ModuleType) -> MapDump:
    return {name: _nonzero(m.raw_items(), isinstance(m, ArrayMap))
            for name, m in module_maps(module).items()}


def run_python(handler: Callable[[XdpCtx], int], packets: Iterable[bytes]) -> list[Outcome]:
    out = []
    for data in packets:
        ctx = XdpCtx.from_packet(data)
        out.append(Outcome(int(handler(ctx)), ctx.packet_bytes()))
    return out


# ---- the raw bpf(2) oracle -----------------------------------------------------------------

class KernelHandler:
    """A compiled object loaded through ``chamelio.ebpf.kernel``: its maps created from the
    object's map definitions, the program's map references patched to their fds."""

    def __init__(self, obj: bytes, entry: str | None = None) -> None:
        self.kobj = KernelObject(load_object(obj), entry, prog_type="xdp")
        assert self.kobj.program is not None
        self.program_name = self.kobj.program.name
        self.maps: dict[str, KernelMap] = self.kobj.maps
        self.prog: LoadedProgram = self.kobj.prog

    def seed(self, module: types.ModuleType) -> None:
        """Copy the (non-zero) contents of the module's maps into the kernel's maps."""
        for name, m in module_maps(module).items():
            if name in self.maps:
                for k, v in _nonzero(m.raw_items(), isinstance(m, ArrayMap)).items():
                    self.maps[name].update(k, v)

    def reset(self) -> None:
        """Empty every hash map, zero every array map."""
        for name, km in self.maps.items():
            if self.kobj.is_array[name]:
                for k, v in list(km.items()):
                    if any(v):
                        km.update(k, bytes(len(v)))
            else:
                for k in list(km.keys()):
                    km.delete(k)

    def run(self, packets: Iterable[bytes]) -> list[Outcome]:
        out = []
        for data in packets:
            r = self.prog.test_run(data)
            out.append(Outcome(r.retval, r.data_out))
        return out

    def dump(self) -> MapDump:
        return self.kobj.dump()

    def close(self) -> None:
        self.kobj.close()

    def __enter__(self) -> KernelHandler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()




# ---- libbpf, through bpftool ----------------------------------------------------------------

def bpftool(*args: str | Path) -> str:
    done = subprocess.run(["bpftool", *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, f"bpftool {' '.join(map(str, args))}:\n{done.stderr}"
    return done.stdout


@contextmanager
def private_bpffs(tmp_path: Path) -> Iterator[Path]:
    """A bpf filesystem mounted under ``tmp_path``; pins removed and unmounted after."""
    if shutil.which("bpftool") is None:
        pytest.skip("bpftool is not installed")
    mount = tmp_path / "bpffs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "bpf", "bpf", str(mount)], capture_output=True,
                          text=True)
    assert done.returncode == 0, f"cannot mount a bpf filesystem: {done.stderr}"
    before = set(mount.iterdir())
    try:
        yield mount
    finally:
        try:
            for pin in set(mount.iterdir()) - before:
                pin.unlink()
        finally:
            subprocess.run(["umount", str(mount)], check=False)


class PinnedProgram:
    """A program libbpf loaded from an object file and pinned (``bpftool prog load``)."""

    def __init__(self, obj: Path, pin: Path, work: Path) -> None:
        bpftool("prog", "load", obj, pin, "type", "xdp")
        self.pin, self.work = pin, work
        self.info: dict[str, Any] = json.loads(bpftool("-j", "prog", "show", "pinned", pin))
        self.map_ids: dict[str, int] = {}
        self._array: dict[str, bool] = {}
        for map_id in self.info.get("map_ids", []):
            m = json.loads(bpftool("-j", "map", "show", "id", str(map_id)))
            self.map_ids[m["name"]] = map_id
            self._array[m["name"]] = m["type"] in ("array", "percpu_array")

    def seed(self, module: types.ModuleType) -> None:
        for name, m in module_maps(module).items():
            map_id = self.map_ids.get(kernel_map_name(name))
            if map_id is None:
                continue
            for k, v in _nonzero(m.raw_items(), isinstance(m, ArrayMap)).items():
                bpftool("map", "update", "id", str(map_id), "key", "hex", *_hex_args(k),
                        "value", "hex", *_hex_args(v))

    def run(self, packets: Iterable[bytes]) -> list[Outcome]:
        out = []
        data_in, data_out = self.work / "data_in", self.work / "data_out"
        for data in packets:
            data_in.write_bytes(data)
            text = bpftool("prog", "run", "pinned", self.pin, "data_in", data_in,
                           "data_out", data_out, "data_size_out", str(len(data) + 256))
            found = re.search(r"Return value: (\d+)", text)
            assert found, text
            out.append(Outcome(int(found[1]), data_out.read_bytes()))
        return out

    def dump(self) -> MapDump:
        result: MapDump = {}
        for name, map_id in self.map_ids.items():
            entries = json.loads(bpftool("-j", "map", "dump", "id", str(map_id)))
            items = {_hex_bytes(e["key"]): _hex_bytes(e["value"]) for e in entries}
            result[name] = _nonzero(items, self._array[name])
        return result


def _hex_args(data: bytes) -> list[str]:
    return [f"{b:02x}" for b in data]


def _hex_bytes(v: list[str]) -> bytes:
    return bytes(int(x, 16) for x in v)
