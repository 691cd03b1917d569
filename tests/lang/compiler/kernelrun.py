"""Load a compiled object into the kernel and run it (test helper, not a test)."""

from __future__ import annotations

from chamelio.ebpf.elf import load_object
from chamelio.ebpf.kernel.objects import KernelObject


def load(obj: bytes, prog_type: str = "xdp") -> KernelObject:
    """Create the object's maps, patch their fds in, and load its (only) program."""
    o = load_object(obj)
    assert len(o.programs) == 1, [p.name for p in o.programs]
    return KernelObject(o, prog_type=prog_type)
