"""Load a compiled object into the kernel and run it (test helper, not a test)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chamelio.ebpf.elf import load_object
from chamelio.ebpf.kernel import KernelMap, LoadedProgram, load_program, patch_map_fds


@dataclass
class KernelProgram:
    prog: LoadedProgram
    maps: dict[str, KernelMap] = field(default_factory=dict)

    def run(self, data: bytes, ctx_in: bytes | None = None) -> Any:
        return self.prog.test_run(data, ctx_in=ctx_in)

    def close(self) -> None:
        self.prog.close()
        for m in self.maps.values():
            m.close()

    def __enter__(self) -> KernelProgram:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load(obj: bytes, prog_type: str = "xdp") -> KernelProgram:
    """Create the object's maps, patch their fds in, and load its (only) program."""
    o = load_object(obj)
    assert len(o.programs) == 1, [p.name for p in o.programs]
    prog = o.programs[0]
    maps: dict[str, KernelMap] = {}
    fds: dict[int, int] = {}
    for i, m in enumerate(o.maps):
        km = KernelMap.create(m.type, m.key_size, m.value_size, m.max_entries, m.flags)
        maps[m.name] = km
        fds[i] = km.fd
    code = patch_map_fds(prog.code, fds)
    loaded = load_program(code, prog_type, license=o.license or "GPL", name=prog.name[:15])
    return KernelProgram(loaded, maps)
