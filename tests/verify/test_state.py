"""The abstract state: stack bytes, spills and fills, and subsumption (``covers``)."""

from __future__ import annotations

import pytest

from chamelio.verify.scalar import Scalar
from chamelio.verify.state import (
    INVALID,
    MISC,
    Frame,
    StackError,
    State,
    entry_state,
    update_pointers,
)
from chamelio.verify.values import NOT_INIT, Pointer, PtrKind, ptr

CTX = ptr(PtrKind.CTX)


def test_spill_and_fill_of_a_pointer() -> None:
    f = Frame(-1, ())
    p = ptr(PtrKind.PACKET, 14, range=34)
    f.write(-8, 8, p)
    assert f.read(-8, 8) == p
    with pytest.raises(StackError, match="spilled pointer"):
        f.read(-8, 4)
    with pytest.raises(StackError, match="pointer stored at fp-16, 4 of its bytes"):
        f.write(-16, 4, p)
    with pytest.raises(StackError, match="not in one aligned 8-byte slot"):
        f.write(-20, 8, p)


def test_partial_overwrite_of_a_spilled_pointer_invalidates_its_other_bytes() -> None:
    f = Frame(-1, ())
    f.write(-8, 8, ptr(PtrKind.STACK, -16))
    f.write(-8, 4, Scalar.const(7))
    assert f.read(-8, 4) == Scalar.const(7)
    with pytest.raises(StackError, match="uninitialised"):
        f.read(-4, 4)  # the pointer's upper half is gone, not a readable number


def test_constant_bytes_are_tracked_exactly() -> None:
    f = Frame(-1, ())
    f.write(-8, 4, Scalar.const(0x11223344))
    f.write(-4, 2, Scalar.const(0x5566))
    f.write(-2, 1, Scalar.const(0x77))
    f.write(-1, 1, Scalar.const(0x88))
    assert f.read(-8, 8) == Scalar.const(0x8877556611223344)
    assert f.read(-6, 2) == Scalar.const(0x1122)
    assert f.read(-8, 1, signed=True) == Scalar.const(0x44)
    assert f.read(-1, 1, signed=True) == Scalar.const(-0x78)


def test_reads_of_a_spilled_scalar_keep_its_bounds() -> None:
    f = Frame(-1, ())
    f.write(-8, 8, Scalar.range(0, 1000))
    low = f.read(-8, 4)
    assert isinstance(low, Scalar) and low.umax == 1000
    high = f.read(-4, 4)
    assert isinstance(high, Scalar) and high == Scalar.const(0)


def test_uninitialised_and_unknown_bytes() -> None:
    f = Frame(-1, ())
    with pytest.raises(StackError, match="uninitialised stack at fp-8"):
        f.read(-8, 1)
    f.write(-8, 2, Scalar.range(0, 0xFFFF))
    v = f.read(-8, 2)
    assert isinstance(v, Scalar) and v.umax == 0xFFFF
    with pytest.raises(StackError, match="fp-6"):
        f.read(-8, 4)


def test_variable_offset_access() -> None:
    f = Frame(-1, ())
    for off in range(-32, 0, 8):
        f.write(off, 8, Scalar.const(off))
    f.check_init(-32, 0)
    with pytest.raises(StackError):
        f.check_init(-40, 0)
    f.write(-40, 8, ptr(PtrKind.CTX))
    with pytest.raises(StackError, match="spilled pointer"):
        f.check_init(-40, -30)
    f.clobber(-36, -20)  # may or may not have been written
    assert f.read(-16, 8) == Scalar.const(-16)  # untouched
    assert f.read(-20, 4) == Scalar.const(0xFFFFFFFF)  # the untouched half of fp-24
    with pytest.raises(StackError):  # the pointer's bytes: neither the pointer nor a number
        f.read(-40, 8)
    assert f.stack[2] is not None
    v = f.read(-32, 8)
    assert isinstance(v, Scalar) and not v.is_const()


def test_normalised_slots() -> None:
    f = Frame(-1, ())
    f.write(-8, 4, Scalar.const(1))
    slot = f.stack[0]
    assert isinstance(slot, tuple) and slot[:4] == (1, 0, 0, 0) and slot[4:] == (INVALID,) * 4
    f.write(-4, 4, Scalar.const(0))
    assert f.stack[0] == Scalar.const(1)  # every byte known: a constant spill
    f.write(-16, 2, Scalar.range(0, 0xFFFF))
    assert f.stack[1] == (MISC, MISC, *(INVALID,) * 6)


def _state() -> State:
    return entry_state(CTX)


def test_covers_reflexive_and_uninitialised_registers() -> None:
    a, b = _state(), _state()
    assert a.covers(b)
    b.regs[0] = Scalar.const(3)
    assert a.covers(b)  # r0 unset in a: never read there, anything goes
    assert not b.covers(a)


def test_covers_scalars_by_range() -> None:
    a, b = _state(), _state()
    a.regs[2] = Scalar.range(0, 10)
    b.regs[2] = Scalar.const(4)
    assert a.covers(b)
    assert not b.covers(a)
    b.regs[2] = ptr(PtrKind.CTX)
    assert not a.covers(b)


def test_covers_packet_pointers_by_range_and_ids() -> None:
    a, b = _state(), _state()
    a.regs[2] = ptr(PtrKind.PACKET, 0, range=14)
    b.regs[2] = ptr(PtrKind.PACKET, 0, range=34)
    assert a.covers(b)  # b knows more of the packet
    assert not b.covers(a)
    # two pointers sharing a variable base must share it in the covered state too
    var = Scalar.range(0, 40)
    a.regs[3] = Pointer(PtrKind.PACKET, var, id=5, range=4)
    a.regs[4] = Pointer(PtrKind.PACKET, var, id=5, range=4)
    b.regs[3] = Pointer(PtrKind.PACKET, var, id=8, range=4)
    b.regs[4] = Pointer(PtrKind.PACKET, var, id=8, range=8)
    assert a.covers(b)
    b.regs[4] = Pointer(PtrKind.PACKET, var, id=9, range=8)
    assert not a.covers(b)


def test_covers_stack_slots() -> None:
    a, b = _state(), _state()
    b.frame.write(-8, 8, Scalar.const(1))
    assert a.covers(b)  # slot never written in a
    a.frame.write(-8, 2, Scalar.range(0, 0xFFFF))
    assert a.covers(b)  # unknown bytes in a cover known ones in b
    assert not b.covers(a)
    b2 = _state()
    b2.frame.write(-8, 2, Scalar.const(5))
    assert a.covers(b2)
    b3 = _state()
    b3.frame.write(-8, 1, Scalar.const(5))
    assert not a.covers(b3)  # fp-7 initialised in a, not in b3
    c = _state()
    c.frame.write(-8, 8, Scalar.unknown())
    assert c.covers(a) is False  # a leaves fp-4.. uninitialised, c does not
    d = _state()
    d.frame.write(-8, 8, Scalar.unknown())
    e = _state()
    e.frame.write(-8, 4, Scalar.range(0, 9))
    e.frame.write(-4, 4, Scalar.range(0, 9))
    assert d.covers(e)


def test_covers_call_frames() -> None:
    a, b = _state(), _state()
    a.frames.append(Frame(3, (NOT_INIT,) * 4))
    b.frames.append(Frame(5, (NOT_INIT,) * 4))
    assert not a.covers(b)  # different call sites
    b.frames[1] = Frame(3, (Scalar.const(1), NOT_INIT, NOT_INIT, NOT_INIT))
    assert a.covers(b)


def test_clean_forgets_dead_registers() -> None:
    s = _state()
    s.regs[2] = Scalar.const(1)
    s.regs[6] = Scalar.const(2)
    s.frames.append(Frame(0, (Scalar.const(6), Scalar.const(7), Scalar.const(8), Scalar.const(9))))
    s.clean(1 << 6, [1 << 7])
    assert s.regs[2] is NOT_INIT and s.regs[6] == Scalar.const(2)
    assert s.regs[1] is NOT_INIT and isinstance(s.regs[10], Pointer)
    assert s.frames[1].saved == (NOT_INIT, Scalar.const(7), NOT_INIT, NOT_INIT)


def test_update_pointers_reaches_spills_and_saved_registers() -> None:
    s = _state()
    p = Pointer(PtrKind.MAP_VALUE, Scalar.const(0), id=3, map_index=0, nullable=True)
    s.regs[0] = p
    s.frame.write(-8, 8, p)
    s.frames.append(Frame(0, (p, NOT_INIT, NOT_INIT, NOT_INIT)))
    update_pointers(s, lambda q: Scalar.const(0) if q.id == 3 else q)
    assert s.regs[0] == Scalar.const(0)
    assert s.frames[0].stack[0] == Scalar.const(0)
    assert s.frames[1].saved[0] == Scalar.const(0)


def test_copy_is_independent() -> None:
    s = _state()
    t = s.copy()
    t.regs[0] = Scalar.const(1)
    t.frame.write(-8, 8, Scalar.const(1))
    assert s.regs[0] is NOT_INIT and s.frame.stack[0] is None
    assert s.key() != t.key()
    assert s.key() == _state().key()
