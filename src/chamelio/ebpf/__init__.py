"""The eBPF layer: instruction encoding, assembler and disassembler, ELF objects, maps,
the reference interpreter, and the kernel oracle (:mod:`chamelio.ebpf.kernel`).

Each submodule is imported on its own; this package imports none of them (see
``docs/design/0001-ebpf-package-layout.md`` for the seams between them).
"""
