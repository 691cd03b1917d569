"""Load a program of an ELF object into the kernel together with its maps.

:class:`KernelObject` is what every user of the oracle needs after parsing an object: create
each of the object's maps with ``bpf(2)`` (``.data``/``.rodata``/``.bss`` filled with their
initial bytes), patch the program's map references with the new fds, load it, and give the
maps back by name so a caller can seed and read them.
"""

from __future__ import annotations

from collections.abc import Sequence

from chamelio.ebpf.elf import MapDef, ObjectFile, Program
from chamelio.ebpf.kernel.constants import ARRAY_MAP_TYPES
from chamelio.ebpf.kernel.errors import KernelError
from chamelio.ebpf.kernel.maps import KernelMap
from chamelio.ebpf.kernel.program import LoadedProgram, load_program, patch_map_fds
from chamelio.ebpf.kernel.testrun import TestRunResult


def kernel_map_name(name: str) -> str:
    """A map or program name the kernel accepts: at most 15 bytes of ``[A-Za-z0-9_.]``."""
    cleaned = "".join(c if c.isalnum() or c in "_." else "_" for c in name)
    return cleaned[:15]


class KernelObject:
    """One program of ``obj`` loaded into the kernel, with all of the object's maps.

    :meth:`from_code` does the same for instructions that come with map definitions but no
    object (an assembly file, a generated program)."""

    program: Program | None

    def __init__(self, obj: ObjectFile, program: str | None = None,
                 prog_type: int | str | None = None, *, log_level: int = 1) -> None:
        prog: Program = obj.program(program) if program else obj.programs[0]
        kind = prog_type if prog_type is not None else prog.prog_type
        if kind is None:
            raise KernelError(
                f"program {prog.name!r} (section {prog.section!r}) has no kernel program type",
                hint="pass the program type explicitly, e.g. 'xdp'")
        self.program = prog
        self._load(prog.code, obj.maps, kind, obj.license or "GPL", prog.name, log_level)

    @classmethod
    def from_code(cls, code: bytes, maps: Sequence[MapDef] = (), prog_type: int | str = "xdp", *,
                  license: str = "GPL", name: str = "", log_level: int = 1) -> KernelObject:
        """Load encoded instructions whose map ``lddw``s carry indexes into ``maps``."""
        self = cls.__new__(cls)
        self.program = None
        self._load(code, maps, prog_type, license, name, log_level)
        return self

    def _load(self, code: bytes, maps: Sequence[MapDef], prog_type: int | str, license: str,
              name: str, log_level: int) -> None:
        self.maps: dict[str, KernelMap] = {}
        self.is_array: dict[str, bool] = {}
        fds: dict[int, int] = {}
        try:
            for index, m in enumerate(maps):
                km = KernelMap.create(m.type, m.key_size, m.value_size, m.max_entries,
                                      flags=m.flags, name=kernel_map_name(m.name))
                self.maps[m.name] = km
                self.is_array[m.name] = m.type in ARRAY_MAP_TYPES
                fds[index] = km.fd
                if m.initial is not None and any(m.initial):
                    km.update(b"\0\0\0\0", m.initial.ljust(m.value_size, b"\0"))
            self.prog: LoadedProgram = load_program(
                patch_map_fds(code, fds) if fds else code, prog_type, license=license,
                name=kernel_map_name(name), log_level=log_level)
        except BaseException:
            self.close()
            raise

    def run(self, data: bytes, repeat: int = 1, ctx_in: bytes | None = None) -> TestRunResult:
        return self.prog.test_run(data, repeat=repeat, ctx_in=ctx_in)

    def dump(self, nonzero: bool = True) -> dict[str, dict[bytes, bytes]]:
        """Every map's contents as raw bytes; all-zero array entries are left out by default."""
        out: dict[str, dict[bytes, bytes]] = {}
        for name, km in self.maps.items():
            items = dict(km.items())
            if nonzero and self.is_array[name]:
                items = {k: v for k, v in items.items() if any(v)}
            out[name] = items
        return out

    def close(self) -> None:
        prog = getattr(self, "prog", None)
        if prog is not None:
            prog.close()
        for km in getattr(self, "maps", {}).values():
            km.close()

    def __enter__(self) -> KernelObject:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
