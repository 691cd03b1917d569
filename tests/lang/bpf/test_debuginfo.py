"""DWARF built by DebugInfo, as the BTF LLVM derives from it (read back by libbpf/bpftool)."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field

import pytest
from llvmlite import ir

from chamelio.lang.bpf import BpfBackendError, emit_bpf_object, optimized_ir
from chamelio.lang.bpf.debuginfo import DebugInfo, map_struct_type
from chamelio.lang.bpf.libbpf import add_license, mark_nounwind, set_program_section

from .objfile import elf, section
from .programs import BPF_MAP_TYPE_HASH, I32, PTR, xdp_call_module, xdp_counter_module


@dataclass
class BtfType:
    kind: str
    name: str
    attrs: dict[str, str]
    members: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def btf_dump(obj: bytes, tmp_path) -> dict[int, BtfType]:
    """``bpftool btf dump file X format raw`` (libbpf's BTF parser), as a type table."""
    if shutil.which("bpftool") is None:
        pytest.skip("bpftool is not installed")
    path = tmp_path / "x.o"
    path.write_bytes(obj)
    out = subprocess.run(
        ["bpftool", "btf", "dump", "file", str(path), "format", "raw"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    types: dict[int, BtfType] = {}
    last: BtfType | None = None
    for line in out.splitlines():
        head = re.match(r"\[(\d+)\] (\w+) '([^']*)'(.*)", line)
        if head:
            last = BtfType(head[2], head[3], dict(re.findall(r"(\w+)=([^\s,]+)", head[4])))
            types[int(head[1])] = last
            continue
        member = re.match(r"\s+'([^']*)'(.*)", line)
        if member and last is not None:
            last.members.append((member[1], dict(re.findall(r"(\w+)=([^\s,]+)", member[2]))))
    return types


def by_name(types: dict[int, BtfType], kind: str, name: str) -> BtfType:
    found = [t for t in types.values() if t.kind == kind and t.name == name]
    assert len(found) == 1, (kind, name, types)
    return found[0]


def pointee(types: dict[int, BtfType], ptr_id: str) -> BtfType:
    ptr = types[int(ptr_id)]
    assert ptr.kind == "PTR"
    return types[int(ptr.attrs["type_id"])]


def test_map_btf_is_libbpf_style(tmp_path):
    types = btf_dump(emit_bpf_object(str(xdp_counter_module())), tmp_path)
    var = by_name(types, "VAR", "counts")
    assert var.attrs["linkage"] == "global"
    struct = types[int(var.attrs["type_id"])]
    assert struct.kind == "STRUCT" and struct.attrs["size"] == "32"
    members = dict(struct.members)
    assert list(members) == ["type", "max_entries", "key", "value"]
    # __uint(type, BPF_MAP_TYPE_HASH): int (*type)[1]
    array = pointee(types, members["type"]["type_id"])
    assert array.kind == "ARRAY" and array.attrs["nr_elems"] == str(BPF_MAP_TYPE_HASH)
    assert types[int(array.attrs["type_id"])].name == "int"
    assert pointee(types, members["max_entries"]["type_id"]).attrs["nr_elems"] == "64"
    # __type(key, u32): u32 *key
    key = pointee(types, members["key"]["type_id"])
    assert (key.kind, key.name, key.attrs["size"]) == ("INT", "u32", "4")
    value = pointee(types, members["value"]["type_id"])
    assert (value.kind, value.name, value.attrs["size"]) == ("INT", "u64", "8")
    by_name(types, "DATASEC", ".maps")  # its size is 0 in the object; libbpf fills it in


def test_function_btf_has_named_parameters(tmp_path):
    types = btf_dump(emit_bpf_object(str(xdp_call_module())), tmp_path)
    entry = by_name(types, "FUNC", "entry")
    assert entry.attrs["linkage"] == "global"
    classify = by_name(types, "FUNC", "classify")
    assert classify.attrs["linkage"] == "static"  # internal linkage → static BTF function
    proto = types[int(classify.attrs["type_id"])]
    assert proto.kind == "FUNC_PROTO"
    assert [name for name, _ in proto.members] == ["first", "length"]
    assert types[int(proto.attrs["ret_type_id"])].name == "u32"


def test_line_info_carries_the_source_text():
    obj = emit_bpf_object(str(xdp_counter_module()))
    f = elf(obj)
    strings = section(f, ".BTF").data()
    assert b"value = counts.lookup(key)\0" in strings
    assert b"/chamelio/tests/counter.py\0" in strings
    assert section(f, ".BTF.ext").data_size > 0


def test_module_flags_and_compile_unit_are_added_once():
    text = str(xdp_counter_module())
    assert text.count('!"Dwarf Version"') == 1
    assert text.count('!"Debug Info Version"') == 1
    assert text.count("!llvm.dbg.cu = ") == 1
    assert "DISPFlagDefinition" in text


def test_debug_metadata_survives_the_round_trip_through_llvm():
    text = optimized_ir(str(xdp_counter_module()))
    assert 'DIGlobalVariable(name: "counts"' in text
    assert 'DILocalVariable(name: "ctx", arg: 1' in text


def _module_with_map(**kwargs) -> tuple[ir.Module, DebugInfo]:
    module = ir.Module(name="m")
    di = DebugInfo(module, "m.py", "/")
    fn = ir.Function(module, ir.FunctionType(I32, [PTR]), "prog")
    set_program_section(fn, "xdp")
    ir.IRBuilder(fn.append_basic_block()).ret(ir.Constant(I32, 2))
    add_license(module)
    di.define_map("events", **kwargs)
    return module, di


def test_map_without_key_and_value_but_with_flags(tmp_path):
    module, _ = _module_with_map(map_type=27, max_entries=4096, key=None, value=None, flags=1)
    types = btf_dump(emit_bpf_object(str(module)), tmp_path)
    struct = types[int(by_name(types, "VAR", "events").attrs["type_id"])]
    members = dict(struct.members)
    assert list(members) == ["type", "max_entries", "map_flags"]
    assert pointee(types, members["type"]["type_id"]).attrs["nr_elems"] == "27"
    assert pointee(types, members["map_flags"]["type_id"]).attrs["nr_elems"] == "1"


def test_add_map_checks_the_global_type():
    module = ir.Module(name="m")
    di = DebugInfo(module, "m.py", "/")
    wrong = ir.GlobalVariable(module, map_struct_type(3), "counts")
    u32 = di.int_type(32, False)
    with pytest.raises(ValueError, match="expected"):
        di.add_map(wrong, "counts", BPF_MAP_TYPE_HASH, 8, u32, u32)
    right = ir.GlobalVariable(module, map_struct_type(4), "right")
    di.add_map(right, "right", BPF_MAP_TYPE_HASH, 8, u32, u32)
    assert right.section == ".maps" and right.align == 8 and right.initializer is not None


def test_types_have_sizes_and_reject_nonsense():
    module = ir.Module(name="m")
    di = DebugInfo(module, "m.py", "/")
    u16 = di.int_type(16, False)
    assert u16.name == "u16" and u16.size_bits == 16
    assert di.int_type(16, False) is u16
    assert di.int_type(64, True).name == "i64"
    assert di.array_type(u16, 6).size_bits == 96
    assert di.pointer(None).size_bits == 64
    pair = di.struct_type("pair", [("a", u16, 0, 16), ("b", u16, 16, 16)], 32)
    assert pair.size_bits == 32 and pair.name == "pair"
    assert di.bool_type().size_bits == 8
    with pytest.raises(ValueError):
        di.int_type(12, False)
    with pytest.raises(ValueError):
        di.array_type(u16, -1)
    fn = ir.Function(module, ir.FunctionType(I32, [PTR]), "f")
    with pytest.raises(ValueError, match="1 arguments"):
        di.add_function(fn, "f", 1, [], None)


def test_libbpf_helpers():
    module = ir.Module(name="m")
    lic = add_license(module, "Dual BSD/GPL")
    assert lic.section == "license"
    assert bytes(lic.initializer.constant) == b"Dual BSD/GPL\0"
    fn = ir.Function(module, ir.FunctionType(I32, []), "f")
    helper = ir.Function(module, ir.FunctionType(I32, []), "g")
    mark_nounwind(module)
    assert "nounwind" in fn.attributes and "nounwind" in helper.attributes
    with pytest.raises(ValueError):
        set_program_section(fn, 'x"y')
    with pytest.raises(ValueError):
        add_license(module, "a\0b", name="other")


def test_backend_errors_point_at_the_source_line():
    module = ir.Module(name="m")
    di = DebugInfo(module, "handler.py", "/src", source="a = 1\nb = 2\nc = a // b\n")
    i64 = di.int_type(64, True)
    fn = ir.Function(module, ir.FunctionType(ir.IntType(64), [ir.IntType(64)] * 2), "h")
    set_program_section(fn, "xdp")
    sp = di.add_function(fn, "h", 1, [i64, i64], i64, ["a", "b"])
    b = ir.IRBuilder(fn.append_basic_block())
    b.debug_metadata = di.location(3, 7, sp)
    b.ret(b.sdiv(*fn.args))
    with pytest.raises(BpfBackendError) as info:
        emit_bpf_object(str(module))
    err = info.value
    assert (err.source_file, err.line, err.column) == ("handler.py", 3, 7)
    assert "signed division" in err.llvm_message
