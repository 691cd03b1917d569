"""What libbpf and the kernel expect of a BPF module, as llvmlite helpers.

* a ``license`` section holding a NUL-terminated string (GPL-only helpers need ``"GPL"``
  or a compatible licence);
* one program per ELF section, the section name giving the program type
  (``"xdp"``, ``"socket"``, ``"tc"``...);
* every function ``nounwind``, or LLVM writes an ``.eh_frame`` that BPF has no use for
  (:func:`chamelio.lang.bpf.emit.emit_bpf_object` also enforces this on any IR it gets).

BTF-defined maps in ``.maps`` are built by :meth:`chamelio.lang.bpf.debuginfo.DebugInfo.add_map`.
"""

from __future__ import annotations

from llvmlite import ir

LICENSE_SECTION = "license"


def add_license(
    module: ir.Module, license: str = "GPL", name: str = "_license"
) -> ir.GlobalVariable:
    """Add the ``license`` section global (``char _license[] SEC("license") = "GPL";``)."""
    data = license.encode() + b"\0"
    if b"\0" in data[:-1]:
        raise ValueError("the licence string must not contain NUL bytes")
    array = ir.ArrayType(ir.IntType(8), len(data))
    var = ir.GlobalVariable(module, array, name)
    var.initializer = ir.Constant(array, bytearray(data))
    var.section = LICENSE_SECTION
    var.align = 1
    return var


def mark_nounwind(module: ir.Module) -> None:
    """Mark every function of *module* (definitions and declarations) ``nounwind``."""
    for function in module.functions:
        function.attributes.add("nounwind")


def set_program_section(function: ir.Function, section: str) -> None:
    """Make *function* a BPF program: its own ELF section, global, ``nounwind``."""
    if not section or any(c.isspace() or c == '"' for c in section):
        raise ValueError(f"invalid ELF section name {section!r}")
    function.section = section
    function.linkage = ""
    function.attributes.add("nounwind")
