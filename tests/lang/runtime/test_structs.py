"""``@struct``, ``Ptr``, ``Array``: C layout equals ctypes', views write through."""

from __future__ import annotations

import ctypes
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chamelio.lang import (
    Array,
    LangRuntimeError,
    LangTypeError,
    Ptr,
    Struct,
    i8,
    i64,
    struct,
    u8,
    u16,
    u32,
    u64,
)
from chamelio.lang import types as lt
from chamelio.lang.runtime.structs import ctype_of, struct_class


@struct
class Eth:
    dst: Array[u8, Literal[6]]
    src: Array[u8, Literal[6]]
    proto: u16


@struct
class IPv4:
    ver_ihl: u8
    tos: u8
    total_len: u16
    ident: u16
    frag: u16
    ttl: u8
    proto: u8
    csum: u16
    saddr: u32
    daddr: u32


class Mixed(Struct):
    a: u8
    eth: Eth
    ip: IPv4
    flag: bool
    x: i64
    tail: Array[i8, 3]  # type: ignore[valid-type]  # the plain spelling works too


IPV4 = lt.type_of_annotation(IPv4)
ETH = lt.type_of_annotation(Eth)


def _offsets(ct: type[ctypes.Structure]) -> list[int]:
    return [getattr(ct, name).offset for name, _ in ct._fields_]  # type: ignore[misc]


def test_known_layouts() -> None:
    assert IPV4.size == 20 and IPV4.align == 4
    assert ETH.size == 14 and ETH.align == 2
    m = Mixed.__lang_type__
    assert [off for _, _, off in m.fields] == [0, 2, 16, 36, 40, 48]
    assert m.size == 56 and m.align == 8
    assert issubclass(Mixed.ctype, ctypes.Structure)
    assert ctypes.sizeof(Mixed.ctype) == m.size and ctypes.alignment(Mixed.ctype) == m.align
    assert _offsets(Mixed.ctype) == [off for _, _, off in m.fields]
    assert m.llvm_layout.offsets == (0, 2, 16, 36, 40, 48) and m.llvm_layout.size == 56
    assert lt.struct_type("One", [("b", lt.U8)]).size == 1  # C, not padded to 8


SCALARS = [lt.U8, lt.U16, lt.U32, lt.U64, lt.I8, lt.I16, lt.I32, lt.I64, lt.BOOL,
           lt.PtrType(lt.U8)]


def _types() -> st.SearchStrategy[lt.LangType]:
    def extend(inner: st.SearchStrategy[lt.LangType]) -> st.SearchStrategy[lt.LangType]:
        arrays = st.builds(lt.ArrayType, inner, st.integers(1, 4))
        structs = st.lists(inner, min_size=1, max_size=5).map(
            lambda ts: lt.struct_type("S", [(f"f{i}", t) for i, t in enumerate(ts)]))
        return arrays | structs
    return st.recursive(st.sampled_from(SCALARS), extend, max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(fields=st.lists(_types(), min_size=1, max_size=8))
def test_layout_equals_ctypes(fields: list[lt.LangType]) -> None:
    t = lt.struct_type("R", [(f"f{i}", ft) for i, ft in enumerate(fields)])
    ct = ctype_of(t)
    assert ctypes.sizeof(ct) == t.size
    assert ctypes.alignment(ct) == t.align
    assert _offsets(ct) == [off for _, _, off in t.fields]


def test_views_write_through_in_native_order() -> None:
    m = Mixed(a=3, flag=True, x=-5)
    m.ip.ttl = u8(64)
    m.ip.saddr = u32(0x01020304)
    m.eth.dst[2] = 7
    m.tail[2] = -1
    raw = m.to_bytes()
    assert raw[16 + 12:16 + 16] == b"\x04\x03\x02\x01"  # little-endian, like C on the host
    c = Mixed.ctype.from_buffer_copy(raw)
    assert (c.a, c.ip.ttl, c.ip.saddr, c.flag, c.x, c.tail[2]) == (3, 64, 0x01020304, True, -5, -1)
    assert list(c.eth.dst) == [0, 0, 7, 0, 0, 0]
    # and back: ctypes writes, the view reads
    buf = bytearray(raw)
    Mixed.ctype.from_buffer(buf).ip.daddr = 0xAABBCCDD
    v = Mixed.from_buffer(buf)
    assert v.ip.daddr == u32(0xAABBCCDD) and type(v.ip.daddr) is u32
    assert type(v.x) is i64 and v.x == -5 and v.flag is True
    assert Mixed.from_bytes(raw) == m and m.copy() == m and m.copy() is not m


def test_field_types_are_enforced() -> None:
    ip = IPv4()
    ip.ttl = u8(3)
    ip.ttl = 255  # type: ignore[assignment]  # a literal that fits (mypy wants u8(255))
    assert ip.ttl == u8(255)
    with pytest.raises(LangTypeError, match="does not fit in u8"):
        ip.ttl = 256  # type: ignore[assignment]
    with pytest.raises(LangTypeError, match="cannot assign u16"):
        ip.ttl = u16(1)  # type: ignore[assignment]
    with pytest.raises(LangTypeError, match="no field 'tll'"):
        ip.tll = 1  # type: ignore[attr-defined]
    with pytest.raises(LangTypeError, match="no field"):
        IPv4(nope=1)  # type: ignore[call-arg]
    e = Eth()
    e.dst = Array[u8, Literal[6]]()
    with pytest.raises(LangTypeError):
        e.dst = Array[u8, Literal[5]]()  # type: ignore[assignment]
    e.src = b"\x01\x02\x03\x04\x05\x06"  # type: ignore[assignment]  # Python-side convenience
    assert e.src[5] == 6
    with pytest.raises(LangRuntimeError, match="index 6 is out of range for Array"):
        e.src[6]


def test_ptr_reads_and_writes_through() -> None:
    buf = bytearray(40)
    p: Ptr[IPv4] = Ptr(IPV4, buf, 4)
    p.ttl = 9
    assert p[0].ttl == 9 and buf[4 + 8] == 9
    p[0] = Mixed(a=1).ip  # a struct value (another struct's field)
    p.proto = 17
    assert buf[4 + 9] == 17 and buf[4 + 8] == 0
    with pytest.raises(LangRuntimeError, match="index 1 is outside"):
        p[1]
    q: Ptr[u64] = Ptr(lt.U64, buf, 0, 16)
    q[1] = u64(5)
    q[1] += 1
    assert q[1] == u64(6) and buf[8] == 6
    with pytest.raises(LangTypeError):
        q[0] = u32(1)
    assert lt.type_of_annotation(Ptr[IPv4]) == lt.PtrType(IPV4)
    assert lt.type_of_annotation(Array[Eth, Literal[2]]) == lt.ArrayType(ETH, 2)
    assert Array[Eth, 2] == Array[Eth, Literal[2]]  # type: ignore[valid-type]
    assert Ptr[u8] == Ptr[u8] and repr(Ptr[IPv4]) == "Ptr[IPv4]"
    assert (Ptr[u8] | None) == Ptr[u8] == (None | Ptr[u8])  # evaluated `Ptr[T] | None`
    with pytest.raises(TypeError):
        Array[u8, Literal[2]] | None


def test_read_only_memory() -> None:
    p: Ptr[IPv4] = Ptr(IPV4, memoryview(bytes(20)), 0)
    assert p.ttl == 0
    with pytest.raises(LangTypeError, match="read-only"):
        p.ttl = 1


def test_bad_declarations() -> None:
    with pytest.raises(LangTypeError, match="not a lang type"):
        @struct
        class A:
            x: int
    with pytest.raises(LangTypeError, match="cannot be a field name"):
        @struct
        class B:
            copy: u8
    with pytest.raises(LangTypeError, match="no fields"):
        @struct
        class C:
            pass
    with pytest.raises(LangTypeError):
        Array[u8, 0]  # type: ignore[valid-type]
    with pytest.raises(LangTypeError):
        Array[u8]  # type: ignore[misc]


def test_string_annotations_resolve() -> None:
    ns: dict[str, object] = {}
    exec("from __future__ import annotations\nfrom chamelio.lang import struct, u8, Array\n"
         "@struct\nclass S:\n    a: u8\n    b: Array[u8, 3]\n", ns)
    s: Any = ns["S"]
    assert s.__lang_type__.size == 4
    assert isinstance(s().b, Array)
    assert struct_class(s.__lang_type__) is s
