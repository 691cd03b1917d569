"""A compact text description of an :class:`ObjectFile` (for ``chamelio disasm``)."""

from __future__ import annotations

from chamelio.ebpf.elf.objfile import MapDef, ObjectFile, Program

# enum bpf_map_type, for display only.
MAP_TYPE_NAMES = (
    "unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash",
    "percpu_array", "stack_trace", "cgroup_array", "lru_hash", "lru_percpu_hash", "lpm_trie",
    "array_of_maps", "hash_of_maps", "devmap", "sockmap", "cpumap", "xskmap", "sockhash",
    "cgroup_storage", "reuseport_sockarray", "percpu_cgroup_storage", "queue", "stack",
    "sk_storage", "devmap_hash", "struct_ops", "ringbuf", "inode_storage", "task_storage",
    "bloom_filter", "user_ringbuf", "cgrp_storage", "arena",
)  # fmt: skip


def map_type_name(map_type: int) -> str:
    if 0 <= map_type < len(MAP_TYPE_NAMES):
        return MAP_TYPE_NAMES[map_type]
    return f"type {map_type}"


def describe_map(index: int, m: MapDef) -> str:
    text = (
        f"  #{index} {m.name}: {map_type_name(m.type)} key {m.key_size} value {m.value_size} "
        f"max {m.max_entries}"
    )
    if m.flags:
        text += f" flags {m.flags:#x}"
    if m.pinning:
        text += f" pinning {m.pinning}"
    text += f" ({m.section}+{m.offset})" if not m.is_data else f" (global data, {m.section})"
    if m.inner is not None:
        i = m.inner
        text += f" inner: {map_type_name(i.type)} key {i.key_size} value {i.value_size} max {i.max_entries}"
    return text


def describe_program(prog: Program) -> list[str]:
    kernel = f", prog type {prog.prog_type}" if prog.prog_type is not None else ""
    head = (
        f"  {prog.name} [{prog.section}] kind {prog.kind}{kernel}: {len(prog.insns)} slots "
        f"(entry {prog.entry_len})"
    )
    if prog.needs_core:
        head += f", needs CO-RE ({len(prog.core_relocs)} relocations)"
    lines = [head]
    if prog.subprograms:
        subs = ", ".join(f"{name}@{pc}" for pc, name in prog.subprograms)
        lines.append(f"    subprograms: {subs}")
    items = [(r.pc, f"{r.pc}: map #{r.map_index}" + (f"+{r.offset}" if r.kind == "map_value" else ""))
             for r in prog.map_relocs]  # fmt: skip
    items += [(c.pc, f"{c.pc}: {c.kind} -> {c.target} ({c.callee})") for c in prog.calls]
    relocs = [text for _, text in sorted(items)]
    if relocs:
        lines.append(f"    relocations ({len(relocs)}): " + "; ".join(relocs[:12])
                     + (" ..." if len(relocs) > 12 else ""))  # fmt: skip
    if prog.line_info:
        files = sorted({li.file for li in prog.line_info.values()})
        lines.append(f"    line info: {len(prog.line_info)} entries from {', '.join(files[:3])}"
                     + (" ..." if len(files) > 3 else ""))  # fmt: skip
    return lines


def describe_object(obj: ObjectFile) -> list[str]:
    version = f"{obj.kern_version:#x}" if obj.kern_version is not None else "-"
    btf = "BTF + BTF.ext" if obj.has_btf_ext else ("BTF" if obj.has_btf else "no BTF")
    lic = f"license {obj.license!r}" if obj.license else "no license"
    out = [f"{obj.path}: {lic}, kernel version {version}, {btf}"]
    shown = [(n, size, role) for n, size, role in obj.sections if role]
    out.append(f"sections ({len(shown)} of {len(obj.sections)} shown):")
    out += [f"  {name}: {size} bytes, {role}" for name, size, role in shown]
    out.append(f"maps ({len(obj.maps)}):")
    out += [describe_map(i, m) for i, m in enumerate(obj.maps)]
    out.append(f"programs ({len(obj.programs)}):")
    for prog in obj.programs:
        out += describe_program(prog)
    out += [f"warning: {w}" for w in obj.warnings]
    return out
