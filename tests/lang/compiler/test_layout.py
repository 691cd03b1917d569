"""Struct layouts: the lang type model, ctypes and LLVM's DataLayout agree on both targets,
and compiled code (native and bpf) reads and writes fields at those offsets."""

from __future__ import annotations

import ctypes
import struct as pystruct
from typing import Any

import llvmlite.binding as llvm
import pytest
from llvmlite import ir

from chamelio.lang import XdpAction, XdpCtx, u32
from chamelio.lang import types as lt
from chamelio.lang.compiler import compile_bpf, compile_native
from chamelio.lang.compiler.lower_types import llvm_struct_type
from chamelio.lang.compiler.targets import BPF_DATA_LAYOUT, native_target
from tests.lang.compiler import kernelrun
from tests.lang.compiler.layout_handlers import A, B, C, D, E, read_fields, store, write_fields

STRUCTS: list[Any] = [A, B, C, D, E]


def _llvm_layout(t: lt.StructType, layout: str) -> tuple[int, list[int]]:
    ty = llvm_struct_type(t)
    m = ir.Module()
    m.data_layout = layout
    g = ir.GlobalVariable(m, ty, "g")
    g.initializer = ir.Constant(ty, None)
    mod = llvm.parse_assembly(str(m))
    ref = mod.get_global_variable("g").global_value_type
    td = llvm.create_target_data(layout)
    return td.get_abi_size(ref), [td.get_element_offset(ref, i) for i in range(len(t.fields))]


@pytest.mark.parametrize("cls", STRUCTS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("layout", ["bpf", "native"])
def test_struct_layout_matches_ctypes_and_llvm(cls, layout):
    t: lt.StructType = cls.__lang_type__
    ct = cls.ctype
    assert ctypes.sizeof(ct) == t.size
    assert [getattr(ct, name).offset for name, _, _ in t.fields] == [off for _, _, off in t.fields]
    dl = BPF_DATA_LAYOUT if layout == "bpf" else native_target().data_layout
    size, offsets = _llvm_layout(t, dl)
    assert size == t.size
    assert offsets == [off for _, _, off in t.fields]
    assert ctypes.alignment(ct) == t.align


def _expected(data: bytes) -> bytes:
    a, b = pystruct.unpack_from("!HQ", data)
    return pystruct.pack("<HxxxxxxQB7x", a, b, data[10])


def test_native_fields_at_c_offsets():
    store.clear()
    data = bytes(range(1, 17))
    assert int(compile_native(write_fields)(XdpCtx.from_packet(data))) == XdpAction.PASS
    got = store.raw_items()[(1).to_bytes(4, "little")]
    assert got == _expected(data)
    c = C.ctype.from_buffer_copy(got)  # type: ignore[attr-defined]
    assert (c.a, c.b, c.c) == (0x0102, 0x030405060708090A, 11)
    p: Any = store.lookup(u32(1))
    assert int(compile_native(read_fields)(p)) == c.a + c.b + c.c


def test_kernel_fields_at_c_offsets(kernel):
    data = bytes(range(1, 17))
    with kernelrun.load(compile_bpf(write_fields)) as kp:
        assert kp.run(data).retval == XdpAction.PASS
        got = kp.maps["store"].lookup((1).to_bytes(4, "little"))
    assert got == _expected(data)
