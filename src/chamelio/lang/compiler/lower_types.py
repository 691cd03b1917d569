"""Lang types as LLVM IR types, in registers and in memory."""

from __future__ import annotations

from llvmlite import ir

from chamelio.lang import types as lt

PTR = ir.PointerType()
I1 = ir.IntType(1)
I8 = ir.IntType(8)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
VOID = ir.VoidType()
PACKET = ir.LiteralStructType([PTR, PTR])  # (data, data_end)


class VolatileStore(ir.instructions.StoreInstr):
    """``store volatile`` (llvmlite's IRBuilder has no volatile flag)."""

    def descr(self, buf: list[str]) -> None:
        inner: list[str] = []
        super().descr(inner)
        buf.append(inner[0].replace("store ", "store volatile ", 1))


class VolatileLoad(ir.instructions.LoadInstr):
    def descr(self, buf: list[str]) -> None:
        inner: list[str] = []
        super().descr(inner)
        buf.append(inner[0].replace("load ", "load volatile ", 1))


def reg_type(t: lt.LangType) -> ir.Type:
    """The IR type of a value of ``t`` in a register. Structs and arrays are references
    (``ptr``), as the runtime's views are; the packet view is a (data, data_end) pair."""
    if isinstance(t, lt.IntType):
        return ir.IntType(t.bits)
    if isinstance(t, lt.BoolType):
        return I1
    if isinstance(t, (lt.PtrType, lt.StructType, lt.ArrayType, lt.CtxType)):
        return PTR
    if isinstance(t, lt.PacketType):
        return PACKET
    if isinstance(t, lt.VoidType):
        return VOID
    raise TypeError(f"no register type for {t.name}")


def mem_type(t: lt.LangType) -> ir.Type:
    """The IR type of ``t`` stored in memory (C layout: bool is one byte)."""
    if isinstance(t, lt.BoolType):
        return I8
    if isinstance(t, lt.StructType):
        return llvm_struct_type(t)
    if isinstance(t, lt.ArrayType):
        return ir.ArrayType(mem_type(t.elem), t.length)
    return reg_type(t)


def llvm_struct_type(t: lt.StructType) -> ir.LiteralStructType:
    """The (non-packed) LLVM struct for a @struct; LLVM's DataLayout places its elements at
    the C offsets (checked against ``t.llvm_layout`` in the tests). The compiler itself
    addresses fields by byte offset."""
    return ir.LiteralStructType([mem_type(ft) for _, ft, _ in t.fields])


def storage_type(t: lt.LangType) -> ir.Type:
    """What a stack slot for an aggregate of ``t`` holds: its bytes, aligned by the alloca."""
    return ir.ArrayType(I8, max(1, t.size))
