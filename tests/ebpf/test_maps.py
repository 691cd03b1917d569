"""In-process maps: the kernel's lookup/update/delete semantics, checked by hand and against
real kernel maps on random operation sequences."""

from __future__ import annotations

import errno
import random

import pytest

from chamelio.abi import BPF_ANY, BPF_EXIST, BPF_NOEXIST, MapType
from chamelio.ebpf.elf.objfile import MapDef
from chamelio.ebpf.maps import (
    BPF_F_LOCK,
    BPF_F_RDONLY_PROG,
    ArrayMap,
    HashMap,
    MapError,
    create_map,
    map_from_def,
)


def k32(i: int) -> bytes:
    return i.to_bytes(4, "little")


def v64(i: int) -> bytes:
    return i.to_bytes(8, "little")


# --------------------------------------------------------------------------- array
def test_array_entries_exist_zeroed_and_lookup_out_of_range_is_null():
    m = create_map("array", 4, 8, 3)
    assert isinstance(m, ArrayMap)
    for i in range(3):
        found = m.lookup(k32(i))
        assert found is not None and bytes(found.data) == bytes(8)
    assert m.lookup(k32(3)) is None
    assert m.lookup(k32(0xFFFF_FFFF)) is None


def test_array_update_flags():
    m = create_map(MapType.ARRAY, 4, 8, 2)
    assert m.update(k32(1), v64(5), BPF_ANY) == 0
    assert m.update(k32(1), v64(6), BPF_EXIST) == 0
    assert m.get(k32(1)) == v64(6)
    assert m.update(k32(1), v64(7), BPF_NOEXIST) == -errno.EEXIST
    assert m.update(k32(2), v64(7), BPF_ANY) == -errno.E2BIG
    assert m.update(k32(0), v64(7), 3) == -errno.EINVAL
    assert m.update(k32(0), v64(7), BPF_F_LOCK) == -errno.EINVAL
    assert m.get(k32(1)) == v64(6)


def test_array_delete_is_invalid():
    m = create_map("array", 4, 4, 2)
    assert m.delete(k32(0)) == -errno.EINVAL
    assert m.delete(k32(9)) == -errno.EINVAL


def test_update_writes_into_the_buffer_a_pointer_already_refers_to():
    m = create_map("array", 4, 8, 1)
    before = m.lookup(k32(0))
    assert m.update(k32(0), v64(0x1122), BPF_ANY) == 0
    after = m.lookup(k32(0))
    assert before is not None and before is after and bytes(before.data) == v64(0x1122)


def test_array_initial_data_and_iteration():
    m = create_map("array", 4, 6, 3, initial=b"abc")
    assert m.get(k32(0)) == b"abc\0\0\0"
    assert list(m.keys()) == [k32(0), k32(1), k32(2)]
    assert m.next_key(k32(2)) is None
    assert m.next_key(k32(77)) == k32(0)  # out of range restarts, as the kernel does
    assert dict(m.items())[k32(0)] == b"abc\0\0\0"


def test_percpu_array_is_one_cpus_array():
    m = create_map("percpu_array", 4, 8, 2)
    assert m.type is MapType.PERCPU_ARRAY
    assert m.update(k32(0), v64(3)) == 0 and m.get(k32(0)) == v64(3)
    assert m.update(k32(0), v64(3), BPF_NOEXIST) == -errno.EEXIST


# --------------------------------------------------------------------------- hash
def test_hash_update_flags_and_capacity():
    m = create_map("hash", 4, 8, 2)
    assert isinstance(m, HashMap)
    assert m.lookup(k32(1)) is None
    assert m.update(k32(1), v64(1), BPF_EXIST) == -errno.ENOENT
    assert m.update(k32(1), v64(1), BPF_NOEXIST) == 0
    assert m.update(k32(1), v64(2), BPF_NOEXIST) == -errno.EEXIST
    assert m.update(k32(1), v64(3), BPF_EXIST) == 0
    assert m.update(k32(2), v64(4), BPF_ANY) == 0
    assert m.update(k32(3), v64(5), BPF_ANY) == -errno.E2BIG  # full: a new key is refused
    assert m.update(k32(2), v64(6), BPF_ANY) == 0  # an existing key still updates
    assert m.update(k32(2), v64(6), 7) == -errno.EINVAL
    assert len(m) == 2 and m.get(k32(1)) == v64(3) and m.get(k32(2)) == v64(6)


def test_hash_delete_kills_the_value_and_a_new_insert_gets_a_new_slot():
    m = create_map("hash", 4, 8, 4)
    assert m.delete(k32(1)) == -errno.ENOENT
    m.update(k32(1), v64(1))
    old = m.lookup(k32(1))
    assert old is not None and old.live
    assert m.delete(k32(1)) == 0
    assert not old.live and m.lookup(k32(1)) is None
    m.update(k32(1), v64(2))
    new = m.lookup(k32(1))
    assert new is not None and new is not old and new.slot != old.slot


def test_hash_iteration_follows_insertion_and_restarts_on_missing_key():
    m = create_map("percpu_hash", 2, 1, 8)
    for k in (b"bb", b"aa", b"cc"):
        m.update(k, b"x")
    assert list(m.keys()) == [b"bb", b"aa", b"cc"]
    assert m.next_key(b"zz") == b"bb"
    assert m.next_key(b"cc") is None


def test_wrong_key_or_value_size_is_a_user_error():
    m = create_map("hash", 4, 8, 2)
    with pytest.raises(MapError, match="key is 3 bytes"):
        m.lookup(b"abc")
    with pytest.raises(MapError, match="value is 2 bytes"):
        m.update(k32(0), b"ab")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("array", 8, 4, 1), "key_size must be 4"),
        (("hash", 0, 4, 1), "key_size 0"),
        (("hash", 4, 0, 1), "value_size 0"),
        (("hash", 4, 4, 0), "max_entries 0"),
        (("percpu_array", 4, 64 * 1024, 1), "value_size 65536"),
        ((27, 0, 0, 4096), "not supported"),
        (("ringbuf", 0, 0, 4096), "unknown map type"),
    ],
)
def test_invalid_definitions_are_refused_like_map_create(args, message):
    with pytest.raises(MapError, match=message):
        create_map(*args)


def test_map_from_elf_definition_keeps_name_flags_and_initial_bytes():
    rodata = MapDef(".rodata", 2, 4, 4, 1, BPF_F_RDONLY_PROG, initial=b"\x01\x02\x03\x04")
    m = map_from_def(rodata)
    assert m.name == ".rodata" and not m.prog_writable
    assert m.get(k32(0)) == b"\x01\x02\x03\x04"
    assert map_from_def(MapDef("h", 1, 4, 4, 8)).prog_writable


# --------------------------------------------------------------------------- kernel
def _kernel_rc(call) -> int:
    from chamelio.ebpf.kernel import KernelError

    try:
        call()
    except KernelError as exc:
        assert exc.errno is not None, exc
        return -exc.errno
    return 0


@pytest.mark.parametrize("kind", ["hash", "array"])
def test_random_operations_agree_with_kernel_maps(kernel, kind):
    from chamelio.ebpf.kernel import KernelMap

    rng = random.Random(4242)
    ours = create_map(kind, 4, 8, 6)
    ops = 0
    with KernelMap.create(kind, 4, 8, 6) as theirs:
        for _ in range(600):
            key = k32(rng.randrange(9))
            what = rng.random()
            if what < 0.5:
                value, flags = v64(rng.getrandbits(64)), rng.choice((0, 0, 1, 2, 3))
                got = ours.update(key, value, flags)
                want = _kernel_rc(lambda k=key, v=value, f=flags: theirs.update(k, v, f))
            elif what < 0.75:
                got = ours.delete(key)
                want = _kernel_rc(lambda k=key: theirs.delete(k))
            else:
                assert ours.get(key) == theirs.lookup(key), key.hex()
                continue
            assert got == want, f"op {ops}: key {key.hex()}: ours {got}, kernel {want}"
            ops += 1
        assert sorted(ours.items()) == sorted(theirs.items())
    print(f"{kind}: {ops} updates/deletes agreed with the kernel")
