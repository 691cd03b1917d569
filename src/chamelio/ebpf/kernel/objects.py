"""Load a program of an ELF object into the kernel together with its maps.

:class:`KernelObject` is what every user of the oracle needs after parsing an object: create
each of the object's maps with ``bpf(2)`` (``.data``/``.rodata``/``.bss`` filled with their
initial bytes), patch the program's map references with the new fds, load it, and give the
maps back by name so a caller can seed and read them.
"""

from __future__ import annotations

from chamelio.ebpf.elf import ObjectFile, Program
from chamelio.ebpf.kernel.errors import KernelError
from chamelio.ebpf.kernel.maps import KernelMap
from chamelio.ebpf.kernel.program import LoadedProgram, load_program, patch_map_fds
from chamelio.ebpf.kernel.testrun import TestRunResult

# Map types whose keys are u32 indexes and whose entries always exist.
_ARRAY_TYPES = frozenset({2, 6})  # BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY


def kernel_map_name(name: str) -> str:
    """A map or program name the kernel accepts: at most 15 bytes of ``[A-Za-z0-9_.]``."""
    cleaned = "".join(c if c.isalnum() or c in "_." else "_" for c in name)
    return cleaned[:15]


class KernelObject:
    """One program of ``obj`` loaded into the kernel, with all of the object's maps."""

    def __init__(self, obj: ObjectFile, program: str | None = None,
                 prog_type: int | str | None = None) -> None:
        prog: Program = obj.program(program) if program else obj.programs[0]
        kind = prog_type if prog_type is not None else prog.prog_type
        if kind is None:
            raise KernelError(
                f"program {prog.name!r} (section {prog.section!r}) has no kernel program type",
                hint="pass the program type explicitly, e.g. 'xdp'")
        self.program = prog
        self.maps: dict[str, KernelMap] = {}
        self.is_array: dict[str, bool] = {}
        fds: dict[int, int] = {}
        try:
            for index, m in enumerate(obj.maps):
                km = KernelMap.create(m.type, m.key_size, m.value_size, m.max_entries,
                                      flags=m.flags, name=kernel_map_name(m.name))
                self.maps[m.name] = km
                self.is_array[m.name] = m.type in _ARRAY_TYPES
                fds[index] = km.fd
                if m.initial is not None and any(m.initial):
                    km.update(b"\0\0\0\0", m.initial)
            self.prog: LoadedProgram = load_program(
                patch_map_fds(prog.code, fds), kind, license=obj.license or "GPL",
                name=kernel_map_name(prog.name))
        except BaseException:
            self.close()
            raise

    def run(self, data: bytes, repeat: int = 1) -> TestRunResult:
        return self.prog.test_run(data, repeat=repeat)

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
        for km in self.maps.values():
            km.close()

    def __enter__(self) -> KernelObject:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
