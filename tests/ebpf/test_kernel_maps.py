"""Kernel maps through the oracle: every flag on hash, array and per-CPU maps.

The expectations are the kernel's semantics, which :mod:`chamelio.ebpf.maps` must match.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from chamelio.ebpf.kernel import (
    BPF_ANY,
    BPF_EXIST,
    BPF_NOEXIST,
    KernelError,
    KernelMap,
    MapFullError,
    MapKeyError,
    MapType,
    possible_cpus,
)


def u32(value: int) -> bytes:
    return struct.pack("<I", value)


def u64(value: int) -> bytes:
    return struct.pack("<Q", value)


@pytest.fixture
def hash_map(kernel):
    with KernelMap.create("hash", 4, 8, 3, name="h") as m:
        yield m


@pytest.fixture
def array_map(kernel):
    with KernelMap.create(MapType.ARRAY, 4, 8, 3, name="a") as m:
        yield m


# -- hash -----------------------------------------------------------------------------------


def test_hash_update_lookup_delete(hash_map):
    assert hash_map.lookup(u32(1)) is None
    hash_map.update(u32(1), u64(10))
    assert hash_map.lookup(u32(1)) == u64(10)
    hash_map.update(u32(1), u64(11), BPF_ANY)
    assert hash_map.lookup(u32(1)) == u64(11)
    assert u32(1) in hash_map
    hash_map.delete(u32(1))
    assert hash_map.lookup(u32(1)) is None
    assert u32(1) not in hash_map


def test_hash_noexist_on_existing_key_is_eexist(hash_map):
    hash_map.update(u32(1), u64(1), BPF_NOEXIST)
    with pytest.raises(MapKeyError, match="EEXIST") as info:
        hash_map.update(u32(1), u64(2), BPF_NOEXIST)
    assert info.value.errno == 17
    assert isinstance(info.value, KeyError)
    assert hash_map.lookup(u32(1)) == u64(1)


def test_hash_exist_on_missing_key_is_enoent(hash_map):
    with pytest.raises(MapKeyError, match="ENOENT") as info:
        hash_map.update(u32(5), u64(1), BPF_EXIST)
    assert info.value.errno == 2
    hash_map.update(u32(5), u64(1))
    hash_map.update(u32(5), u64(2), BPF_EXIST)
    assert hash_map.lookup(u32(5)) == u64(2)


def test_full_hash_is_e2big_but_existing_keys_update(hash_map):
    for key in range(3):
        hash_map.update(u32(key), u64(key))
    with pytest.raises(MapFullError, match="full") as info:
        hash_map.update(u32(3), u64(3))
    assert info.value.errno == 7
    hash_map.update(u32(2), u64(20))  # replacing in a full map still works
    assert hash_map.lookup(u32(2)) == u64(20)


def test_hash_delete_missing_key_is_enoent(hash_map):
    with pytest.raises(MapKeyError, match="ENOENT"):
        hash_map.delete(u32(9))


def test_hash_keys_and_items(hash_map):
    assert list(hash_map.keys()) == []
    for key in (3, 1, 2):
        hash_map.update(u32(key), u64(key * 10))
    assert sorted(hash_map.keys()) == [u32(1), u32(2), u32(3)]
    assert dict(hash_map.items()) == {u32(k): u64(k * 10) for k in (1, 2, 3)}
    for key in hash_map:  # deleting while iterating visits each key once
        hash_map.delete(key)
    assert list(hash_map) == []


def test_wrong_key_or_value_size_is_refused(hash_map):
    with pytest.raises(KernelError, match="4-byte keys, got 8 bytes"):
        hash_map.lookup(u64(1))
    with pytest.raises(KernelError, match="8-byte values, got 4 bytes"):
        hash_map.update(u32(1), u32(1))


def test_bad_update_flags_are_einval(hash_map):
    with pytest.raises(KernelError, match="EINVAL") as info:
        hash_map.update(u32(1), u64(1), 8)
    assert "BPF_ANY" in str(info.value)


# -- array ----------------------------------------------------------------------------------


def test_array_entries_exist_zeroed(array_map):
    assert array_map.lookup(u32(0)) == bytes(8)
    assert array_map.lookup(u32(2)) == bytes(8)
    assert array_map.lookup(u32(3)) is None  # out of range
    assert list(array_map.keys()) == [u32(0), u32(1), u32(2)]


def test_array_update_with_each_flag(array_map):
    array_map.update(u32(1), u64(5), BPF_ANY)
    array_map.update(u32(1), u64(6), BPF_EXIST)
    assert array_map.lookup(u32(1)) == u64(6)
    with pytest.raises(MapKeyError, match="array entries always exist") as info:
        array_map.update(u32(0), u64(7), BPF_NOEXIST)
    assert info.value.errno == 17
    assert array_map.lookup(u32(0)) == bytes(8)


def test_array_index_out_of_range_is_e2big(array_map):
    with pytest.raises(MapFullError, match="out of range") as info:
        array_map.update(u32(3), u64(1))
    assert info.value.errno == 7


def test_array_delete_is_einval(array_map):
    with pytest.raises(KernelError, match="EINVAL") as info:
        array_map.delete(u32(0))
    assert not isinstance(info.value, MapKeyError)
    assert "cannot be deleted" in str(info.value)


# -- per-CPU --------------------------------------------------------------------------------


def test_possible_cpus_matches_sysfs():
    text = Path("/sys/devices/system/cpu/possible").read_text().strip()
    last = int(text.replace(",", "-").split("-")[-1])
    assert 1 <= possible_cpus() <= last + 1


def test_percpu_array_value_is_one_padded_slot_per_cpu(kernel):
    ncpus = possible_cpus()
    with KernelMap.create("percpu_array", 4, 4, 2) as m:
        assert m.value_bytes == 8 * ncpus
        assert m.lookup(u32(0)) == bytes(8 * ncpus)
        m.update(u32(0), b"abcd")  # one value: written to every CPU
        assert m.lookup(u32(0)) == b"abcd\0\0\0\0" * ncpus
        assert m.lookup_percpu(u32(0)) == [b"abcd"] * ncpus
        values = [u32(100 + cpu) for cpu in range(ncpus)]
        m.update_percpu(u32(1), values, BPF_EXIST)
        assert m.lookup_percpu(u32(1)) == values
        with pytest.raises(MapKeyError, match="EEXIST"):
            m.update(u32(1), b"abcd", BPF_NOEXIST)
        with pytest.raises(KernelError, match="EINVAL"):
            m.delete(u32(1))
        with pytest.raises(KernelError, match=f"needs {ncpus} values"):
            m.update_percpu(u32(1), [*values, u32(0)])


def test_percpu_hash_flags_and_delete(kernel):
    ncpus = possible_cpus()
    with KernelMap.create("percpu_hash", 4, 8, 4) as m:
        assert m.lookup_percpu(u32(1)) is None
        m.update(u32(1), u64(3), BPF_NOEXIST)
        assert m.lookup_percpu(u32(1)) == [u64(3)] * ncpus
        with pytest.raises(MapKeyError):
            m.update(u32(1), u64(3), BPF_NOEXIST)
        with pytest.raises(MapKeyError):
            m.update(u32(2), u64(3), BPF_EXIST)
        m.delete(u32(1))
        assert list(m.keys()) == []


# -- life cycle and bad arguments --------------------------------------------------------------


def test_closed_map_is_reported(kernel):
    m = KernelMap.create("hash", 4, 4, 1)
    fd = m.fd
    with m:
        pass
    assert m.closed
    with pytest.raises(OSError):
        os.fstat(fd)
    with pytest.raises(KernelError, match="closed"):
        m.lookup(u32(0))
    assert "closed" in repr(m)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("array", 8, 8, 1), "EINVAL"),  # arrays take 4-byte keys
        (("hash", 4, 0, 1), "EINVAL"),
        (("hash", 4, 4, 0), "EINVAL"),
        (("nope", 4, 4, 1), "unknown map type"),
        (("hash", -1, 4, 1), "key_size must be a u32"),
    ],
)
def test_bad_map_create_arguments(kernel, args, message):
    with pytest.raises(KernelError, match=message):
        KernelMap.create(*args)


def test_bad_map_name_is_refused():
    with pytest.raises(KernelError, match="invalid map name"):
        KernelMap.create("hash", 4, 4, 1, name="no-dashes")
