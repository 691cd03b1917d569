"""The shared type model: annotations, layouts and the typing rules' messages."""

from __future__ import annotations

import pytest

from chamelio import abi
from chamelio.lang import (
    Array,
    HashMap,
    LangTypeError,
    Ptr,
    Struct,
    Verdict,
    XdpAction,
    XdpCtx,
    u8,
    u16,
    u32,
)
from chamelio.lang import types as lt


class Pair(Struct):
    a: u8
    b: u32


def test_type_of_annotation() -> None:
    toa = lt.type_of_annotation
    assert toa(u32) == lt.IntType(32, False) == lt.U32 and toa(bool) is lt.BOOL
    assert toa(None) is lt.VOID and toa(type(None)) is lt.VOID
    assert toa(Ptr[Pair]) == lt.PtrType(toa(Pair))
    assert toa(Array[u16, 3]) == lt.ArrayType(lt.U16, 3)  # type: ignore[valid-type]
    assert toa(XdpAction) == toa(Verdict) == lt.U32
    assert toa(XdpCtx) == lt.CtxType(abi.XDP_MD, abi.hook("xdp"), "XdpCtx")
    m = HashMap(key=u32, value=Pair, max_entries=4)
    assert toa(m) == lt.MapType(abi.MapType.HASH, lt.U32, toa(Pair), 4)
    assert toa("Ptr[u8]", {"Ptr": Ptr, "u8": u8}) == lt.PtrType(lt.U8)
    with pytest.raises(LangTypeError, match="pick a width"):
        toa(int)
    with pytest.raises(LangTypeError, match="not a lang type"):
        toa(3.5)
    with pytest.raises(LangTypeError, match="cannot resolve"):
        toa("nope", {})


def test_names_sizes_and_layout_data() -> None:
    assert [t.name for t in lt.INT_TYPES.values()] == list(lt.INT_TYPES)
    assert lt.I64.min == -(2**63) and lt.U8.max == 255 and lt.U16.size == lt.U16.align == 2
    assert lt.PtrType(lt.U8).name == "Ptr[u8]" and lt.PtrType(lt.U8).size == 8
    assert lt.ArrayType(lt.U32, 3).name == "Array[u32, 3]" and lt.ArrayType(lt.U32, 3).size == 12
    t = lt.type_of_annotation(Pair)
    assert isinstance(t, lt.StructType) and t.name == "Pair" and (t.size, t.align) == (8, 4)
    assert t.field("b") == lt.StructField("b", lt.U32, 4)
    assert t.llvm_layout == lt.LlvmLayout((lt.U8, lt.U32), (0, 4), 8, 4)
    with pytest.raises(LangTypeError, match="no field 'c'"):
        t.field("c")
    with pytest.raises(LangTypeError, match="twice"):
        lt.struct_type("D", [("x", lt.U8), ("x", lt.U8)])
    with pytest.raises(LangTypeError, match="cannot be stored"):
        lt.struct_type("V", [("x", lt.VOID)])
    assert lt.BOOL is lt.BoolType() and lt.BOOL != lt.VOID and lt.PACKET.size == 16
    assert lt.helper_return_type("map_update_elem") == lt.I64
    assert lt.helper_return_type("map_lookup_elem", lt.U64) == lt.PtrType(lt.U64)
    assert set(lt.HELPER_RETURN_TYPES) | {"map_lookup_elem"} == set(abi.HELPERS_BY_NAME)


def test_binop_rules() -> None:
    assert lt.check_binop("+", lt.U8, lt.U8) == lt.U8
    assert lt.check_binop("<<", lt.I32, 31) == lt.I32
    assert lt.check_binop("-", 3, lt.U64) == lt.U64
    assert lt.check_binop("*", 3, 4) is lt.INT_LITERAL
    assert lt.check_binop("&", lt.BOOL, lt.BOOL) is lt.BOOL
    assert lt.check_binop("+", lt.INT_LITERAL, lt.U16) == lt.U16
    with pytest.raises(LangTypeError, match="not defined on bool"):
        lt.check_binop("+", lt.BOOL, lt.BOOL)
    with pytest.raises(LangTypeError, match="different types: u8 and i8") as e:
        lt.check_binop("+", lt.U8, lt.I8)
    assert e.value.hint == "cast one side explicitly: u8(y) or i8(x) (same width: the bits are reinterpreted)"
    with pytest.raises(LangTypeError) as e:
        lt.check_binop("+", lt.U16, lt.U64)
    assert e.value.hint == ("cast one side explicitly: u64(x) to widen the u16 operand, "
                            "or u16(y) to truncate the u64 one")
    with pytest.raises(LangTypeError, match="convert the bool"):
        lt.check_binop("^", lt.BOOL, lt.U8)
    with pytest.raises(LangTypeError, match="'/' is not defined") as e:
        lt.check_binop("/", lt.U8, lt.U8)
    assert "//" in (e.value.hint or "")
    with pytest.raises(LangTypeError, match="literal -1 does not fit in u64"):
        lt.check_binop("+", lt.U64, -1)
    with pytest.raises(LangTypeError, match="a bool cannot be used as u8"):
        lt.check_binop("+", lt.U8, True)


def test_compare_unary_cast_assign() -> None:
    assert lt.check_compare("<", lt.I8, -128) is lt.BOOL
    assert lt.check_compare("==", lt.BOOL, lt.BOOL) is lt.BOOL
    assert lt.check_compare("is not", lt.PtrType(lt.U8), lt.VOID) is lt.BOOL
    with pytest.raises(LangTypeError, match="not defined on bool"):
        lt.check_compare("<", lt.BOOL, lt.BOOL)
    with pytest.raises(LangTypeError, match="only compares a pointer"):
        lt.check_compare("is", lt.U8, lt.VOID)
    with pytest.raises(LangTypeError, match="literal 256"):
        lt.check_compare("==", lt.U8, 256)
    assert lt.check_unary("-", lt.U32) == lt.U32 and lt.check_unary("not", lt.U8) is lt.BOOL
    assert lt.check_unary("~", 5) is lt.INT_LITERAL
    with pytest.raises(LangTypeError):
        lt.check_unary("-", lt.BOOL)
    assert lt.check_cast(lt.I8, lt.U64) == lt.U64 and lt.check_cast(lt.U8, lt.BOOL) is lt.BOOL
    assert lt.check_cast(300, lt.U8) == lt.U8  # a cast wraps on purpose
    with pytest.raises(LangTypeError, match="cannot convert Ptr"):
        lt.check_cast(lt.PtrType(lt.U8), lt.U64)
    assert lt.check_assign(lt.U8, 255) == lt.U8
    assert lt.check_assign(lt.BOOL, True) is lt.BOOL
    with pytest.raises(LangTypeError, match="does not fit"):
        lt.check_assign(lt.U8, 256)
    with pytest.raises(LangTypeError, match="cannot assign u16 to a field of type u8") as e:
        lt.check_assign(lt.U8, lt.U16, "field")
    assert e.value.hint == "convert it: u8(x)"


def test_packet_access_messages() -> None:
    e = lt.unchecked_packet_access(12, 2, "read")
    assert e.message == "packet read of bytes 12..13 is not covered by a bounds check"
    assert "pkt.has(14)" in (e.hint or "")
    d = lt.unchecked_packet_access(None, 4)
    assert "dynamic offset" in d.message and "has_at(off, 4)" in (d.hint or "")

