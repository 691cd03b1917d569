"""The loader on real objects from ../shared/ebpf-samples, checked against their sources."""

from __future__ import annotations

from pathlib import Path

from chamelio.ebpf import isa
from chamelio.ebpf.elf import RELOC_FUNC, RELOC_MAP, RELOC_MAP_VALUE, load_object

from .conftest import section_data


def _maps(obj):
    return [(m.name, m.type, m.key_size, m.value_size, m.max_entries) for m in obj.maps]


def test_sockex1_socket_filter_with_one_legacy_map(samples: Path) -> None:
    obj = load_object(samples / "linux" / "sockex1_kern.o")
    assert obj.license == "GPL"
    assert _maps(obj) == [("my_map", 2, 4, 8, 256)]  # BPF_MAP_TYPE_ARRAY, u32 -> long
    (prog,) = obj.programs
    assert (prog.name, prog.section, prog.kind, prog.prog_type) == (
        "socket1",
        "socket1",
        "socket",
        1,
    )
    (reloc,) = prog.map_relocs
    assert reloc.kind == RELOC_MAP and reloc.map_index == 0 and reloc.symbol == "my_map"
    lddw = prog.insns[reloc.pc]
    assert lddw.is_lddw and lddw.src == isa.BPF_PSEUDO_MAP_FD and lddw.imm == 0
    assert isa.encode(prog.insns) == prog.code


def test_tracex2_two_kprobes_kernel_version_and_struct_key(samples: Path) -> None:
    obj = load_object(samples / "linux" / "tracex2_kern.o")
    assert obj.kern_version == 0x41300
    # my_map: hash long -> long; my_hist_map: percpu hash of struct hist_key (40 bytes)
    assert _maps(obj) == [("my_map", 1, 8, 8, 1024), ("my_hist_map", 5, 40, 8, 1024)]
    assert [(p.name, p.kind) for p in obj.programs] == [
        ("kprobe/kfree_skb", "kprobe"),
        ("kprobe/sys_write", "kprobe"),
    ]
    assert {r.map_index for r in obj.programs[1].map_relocs} == {1}


def test_legacy_map_in_map_inner_by_index(samples: Path) -> None:
    obj = load_object(samples / "linux" / "test_map_in_map_kern.o")
    assert len(obj.maps) == 7
    by_name = {m.name: m for m in obj.maps}
    assert by_name["a_of_port_a"].inner is by_name["port_a"]
    assert by_name["h_of_port_h"].inner is by_name["port_h"]
    assert by_name["a_of_port_a"].value_size == 4  # fd-sized values, as bpf_load.c created them
    assert len(obj.programs[0].map_relocs) == 9


def test_bpf2bpf_subprograms_appended_in_first_call_order(samples: Path) -> None:
    path = samples / "build" / "bpf2bpf.o"
    obj = load_object(path)
    (prog,) = obj.programs
    text, test = section_data(path, ".text"), section_data(path, "test")
    assert prog.entry_len == len(test) // 8 == 37
    # func calls add2 (appended first, at 37), add2 calls add1 (appended next): libbpf order
    assert prog.subprograms == [(37, "add2"), (45, "add1")]
    assert len(prog.insns) == 37 + len(text) // 8
    for call in prog.calls:
        insn = prog.insns[call.pc]
        assert insn.opcode == isa.OP_CALL and insn.src == isa.BPF_PSEUDO_CALL
        assert call.pc + insn.imm + 1 == call.target
    assert {(c.pc, c.target, c.callee) for c in prog.calls} == {
        (7, 37, "add2"), (9, 37, "add2"), (41, 45, "add1"), (43, 45, "add1"),
    }  # fmt: skip
    # apart from call immediates, the appended code is .text verbatim (add1 at 0, add2 at 104)
    code = bytearray(prog.code)
    for c in prog.calls:
        code[c.pc * 8 + 4 : c.pc * 8 + 8] = b"\xff\xff\xff\xff"  # clang's unrelocated -1
    assert bytes(code[37 * 8 : 45 * 8]) == text[104:168]
    assert bytes(code[45 * 8 :]) == text[:104]
    assert prog.line_info and prog.func_info[0] == "func" and prog.func_info[37] == "add2"


def test_global_data_as_array_maps_with_value_offsets(samples: Path) -> None:
    obj = load_object(samples / "build" / "global_variable.o")
    assert [(m.name, m.type, m.key_size, m.value_size, m.max_entries) for m in obj.maps] == [
        (".bss", 2, 4, 8, 1), (".rodata", 2, 4, 4, 1), (".data", 2, 4, 40, 1),
    ]  # fmt: skip
    assert obj.maps[0].initial == bytes(8)
    assert obj.maps[1].flags == 0x80  # BPF_F_RDONLY_PROG
    (prog,) = obj.programs
    assert [(r.map_index, r.offset) for r in prog.map_relocs] == [(0, 0), (0, 4), (1, 0), (2, 0)]
    for r in prog.map_relocs:
        assert r.kind == RELOC_MAP_VALUE
        first, second = prog.insns[r.pc], prog.insns[r.pc + 1]
        assert first.src == isa.BPF_PSEUDO_MAP_VALUE and first.imm == r.map_index
        assert second.imm == r.offset  # the kernel reads the offset from the second slot


def test_btf_defined_map_line_and_func_info(samples: Path) -> None:
    obj = load_object(samples / "cilium-examples" / "xdp_bpf_bpfel.o")
    assert obj.license == "Dual MIT/GPL"
    assert _maps(obj) == [("xdp_stats_map", 9, 4, 4, 16)]  # LRU hash
    (prog,) = obj.programs
    assert (prog.name, prog.kind, prog.prog_type) == ("xdp_prog_func", "xdp", 6)
    assert prog.func_info == {0: "xdp_prog_func"}
    first = prog.line_info[0]
    assert first.file.endswith("xdp.c") and first.line > 0 and "data_end" in first.source
    assert not prog.needs_core


def test_btf_map_in_map_and_prog_array(samples: Path) -> None:
    obj = load_object(samples / "build" / "map_in_map.o")
    outer = obj.maps[obj.map_index("array_of_maps")]
    assert outer.type == 12 and outer.value_size == 4
    assert outer.inner is not None and (outer.inner.type, outer.inner.key_size) == (2, 4)
    tail = load_object(samples / "build" / "prog_array.o")
    assert any(m.type == 3 and m.inner is None and m.value_size == 4 for m in tail.maps)


def test_core_relocations_recorded_not_applied(samples: Path) -> None:
    obj = load_object(samples / "cilium-examples" / "tcprtt_bpf_bpfel.o")
    (prog,) = obj.programs
    assert prog.needs_core and len(prog.core_relocs) == 6
    assert all(0 <= r.pc < len(prog.insns) and r.access for r in prog.core_relocs)


def test_function_address_of_text_callback(samples: Path) -> None:
    obj = load_object(samples / "cilium-core" / "bpf_overlay.o")
    (prog,) = [p for p in obj.programs if any(c.kind == RELOC_FUNC for c in p.calls)]
    (fa,) = [c for c in prog.calls if c.kind == RELOC_FUNC]
    insn = prog.insns[fa.pc]
    assert insn.is_lddw and insn.src == isa.BPF_PSEUDO_FUNC and fa.pc + insn.imm + 1 == fa.target
    assert (fa.target, fa.callee) in prog.subprograms


def test_old_llvm_em_none_and_rela(samples: Path) -> None:
    obj = load_object(samples / "ovs" / "datapath.o")
    assert len(obj.programs) == 19
    assert sum(len(p.map_relocs) for p in obj.programs) > 0


def test_many_programs_per_section_and_section_kinds(samples: Path) -> None:
    obj = load_object(samples / "cilium-core" / "bpf_sock.o")
    kinds = {p.section: p.kind for p in obj.programs}
    assert kinds["cgroup/connect4"] == "cgroup_sock_addr"
    assert kinds["cgroup/post_bind4"] == "cgroup_sock"
    lxc = load_object(samples / "cilium-core" / "bpf_lxc.o")
    assert sum(p.section == "tc/tail" for p in lxc.programs) > 1


def test_describe_lists_sections_maps_programs(samples: Path) -> None:
    lines = load_object(samples / "build" / "bpf2bpf.o").describe()
    text = "\n".join(lines)
    assert "programs (1):" in text and "subprograms: add2@37, add1@45" in text
    assert "7: call -> 37 (add2)" in text and "line info:" in text


def test_line_at_finds_the_enclosing_source_line(samples: Path) -> None:
    prog = load_object(samples / "build" / "bpf2bpf.o").programs[0]
    assert prog.line_at(0) == prog.line_info[0]
    gap = next(pc for pc in range(len(prog.insns)) if pc not in prog.line_info)
    before = max(k for k in prog.line_info if k < gap)
    assert prog.line_at(gap) == prog.line_info[before]
    # the first slot of an appended subprogram never reports its caller's lines
    start = prog.subprograms[0][0]
    line = prog.line_at(start)
    assert line is not None and line is prog.line_info.get(start)
    assert load_object(samples / "linux" / "xdp1_kern.o").programs[0].line_at(3) is None
