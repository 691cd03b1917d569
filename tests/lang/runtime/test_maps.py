"""Python-mode maps: the kernel's semantics, checked against real kernel maps."""

from __future__ import annotations

import errno
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chamelio.ebpf.kernel import KernelError, KernelMap
from chamelio.lang import (
    BPF_ANY,
    BPF_EXIST,
    BPF_NOEXIST,
    Array,
    ArrayMap,
    HashMap,
    LangTypeError,
    Struct,
    i64,
    u8,
    u16,
    u32,
    u64,
)
from chamelio.lang import types as lt
from chamelio.lang.runtime.maps import _Map


class Key(Struct):
    addr: u32
    port: u16


class Stats(Struct):
    packets: u64
    bytes: u64


def test_lookup_returns_a_pointer_into_the_value() -> None:
    counts = HashMap(key=u32, value=u64, max_entries=4)
    assert counts.lookup(0) is None
    assert counts.update(0, u64(1), BPF_ANY) == i64(0)
    v = counts.lookup(u32(0))
    assert v is not None
    v[0] += 1
    assert counts.get(0) == u64(2) and type(counts.get(0)) is u64
    assert counts.items() == [(u32(0), u64(2))]
    assert counts.raw_items() == {b"\0\0\0\0": (2).to_bytes(8, "little")}
    assert lt.type_of_annotation(counts) == lt.MapType(lt.abi.MapType.HASH, lt.U32, lt.U64, 4)


def test_hash_flags_and_errnos() -> None:
    m = HashMap(key=u32, value=u8, max_entries=2)
    assert m.update(1, 1, BPF_EXIST) == -errno.ENOENT
    assert m.update(1, 1, BPF_NOEXIST) == 0
    assert m.update(1, 2, BPF_NOEXIST) == -errno.EEXIST
    assert m.update(1, 3, BPF_EXIST) == 0
    assert m.update(2, 1) == 0
    assert m.update(3, 1) == -errno.E2BIG
    assert m.update(2, 9) == 0  # replacing in a full map is fine
    assert m.update(2, 9, 4) == -errno.EINVAL
    assert type(m.update(3, 1)) is i64
    assert m.delete(3) == -errno.ENOENT
    assert m.delete(1) == 0 and len(m) == 1
    m.clear()
    assert len(m) == 0


def test_array_semantics() -> None:
    a = ArrayMap(value=Stats, max_entries=3)
    assert len(a) == 3 and a.lookup(3) is None
    p = a.lookup(2)
    assert p is not None and p.packets == 0
    p.packets += 1
    p.bytes = 1500
    assert a.get(2) == Stats(packets=1, bytes=1500)
    assert a.update(3, Stats()) == -errno.E2BIG
    assert a.update(0, Stats(), BPF_NOEXIST) == -errno.EEXIST
    assert a.update(0, Stats(packets=7), BPF_EXIST) == 0
    assert a.delete(0) == -errno.EINVAL
    assert a.update(0, Stats(), 3) == -errno.EINVAL
    a.clear()
    assert all(v == Stats() for _, v in a.items())
    with pytest.raises(LangTypeError, match="u32 index"):
        ArrayMap(key=u64, value=u8, max_entries=1)


def test_struct_keys_and_typing() -> None:
    m = HashMap(key=Key, value=Array[u8, Literal[4]], max_entries=8)
    k = Key(addr=0x0A000001, port=80)
    assert m.update(k, b"abcd") == 0
    got = m.lookup(k)
    assert got is not None and got[0][3] == ord("d")
    with pytest.raises(LangTypeError):
        m.update(1, b"abcd")
    with pytest.raises(LangTypeError, match="needs 4 bytes"):
        m.update(k, b"abc")
    counts = HashMap(key=u32, value=u64, max_entries=1)
    with pytest.raises(LangTypeError, match="cannot assign u32"):
        counts.update(0, u32(1))
    with pytest.raises(LangTypeError, match="literal -1 does not fit in u32"):
        counts.lookup(-1)
    with pytest.raises(LangTypeError):
        HashMap(key=u32, value=u64, max_entries=0)


def test_load_raw_round_trips() -> None:
    m = HashMap(key=u32, value=u16, max_entries=4)
    m.update(5, 6)
    m2 = HashMap(key=u32, value=u16, max_entries=4)
    m2.load_raw(m.raw_items())
    assert m2.items() == m.items() == [(u32(5), u16(6))]


# ---- differential test against the kernel's maps -------------------------------------------

OPS = st.lists(
    st.tuples(st.sampled_from(["update", "delete", "lookup"]), st.integers(0, 5),
              st.integers(0, 255), st.sampled_from([BPF_ANY, BPF_NOEXIST, BPF_EXIST, 3])),
    min_size=1, max_size=25)


def _run_kernel(km: KernelMap, op: str, key: int, value: int, flags: int) -> object:
    kb, vb = key.to_bytes(4, "little"), value.to_bytes(8, "little")
    try:
        if op == "update":
            km.update(kb, vb, flags)
        elif op == "delete":
            km.delete(kb)
        else:
            return km.lookup(kb)
    except KernelError as e:
        assert e.errno is not None
        return -e.errno
    return 0


def _run_python(m: _Map, op: str, key: int, value: int, flags: int) -> object:
    if op == "update":
        return int(m.update(key, u64(value), flags))
    if op == "delete":
        return int(m.delete(key))
    p = m.lookup(key)
    return None if p is None else p[0].to_bytes_le()


@pytest.mark.parametrize("kind", ["hash", "array"])
@settings(max_examples=40, deadline=None)
@given(ops=OPS)
def test_same_results_and_contents_as_the_kernel(kernel: None, kind: str,
                                                 ops: list[tuple[str, int, int, int]]) -> None:
    m: _Map = (HashMap(key=u32, value=u64, max_entries=3) if kind == "hash"
               else ArrayMap(value=u64, max_entries=3))
    with KernelMap.create(kind, 4, 8, 3) as km:
        for step in ops:
            assert _run_python(m, *step) == _run_kernel(km, *step), step
        assert m.raw_items() == dict(km.items())
