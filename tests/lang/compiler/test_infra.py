"""The provider's native-only primitives, and batch entry points."""

from __future__ import annotations

import ctypes
from typing import Any

import pytest

from chamelio.lang import ArrayMap, XdpCtx, u8, u32, u64
from chamelio.lang.compiler import LangCompileError, compile_bpf, compile_native, emit_llvm
from tests.lang.compiler import infra_handlers as I


def test_atomics_agree_with_plain_python():
    m = ArrayMap(value=u64, max_entries=1)
    p: Any = m.lookup(u32(0))
    assert int(compile_native(I.counter)(p, 5)) == 11  # 0 -> 5 -> 6 -> cas(6 -> 100)
    assert int(m.get(u32(0))) == 100
    assert int(I.counter(p, u64(5))) == 111
    ir = emit_llvm(I.counter, target="native", optimize=False)
    for piece in ("atomicrmw add", "monotonic", "load atomic", "acquire", "store atomic",
                  "release", "fence seq_cst", "cmpxchg", "acq_rel acquire"):
        assert piece in ir, piece


def test_externs_and_raw_pointers():
    buf = ctypes.create_string_buffer(b"chamelio\0")
    addr = ctypes.addressof(buf)
    assert int(compile_native(I.c_string_length)(addr)) == 8
    assert int(I.c_string_length(u64(addr))) == 8


def test_unbounded_loop_native():
    buf = ctypes.create_string_buffer(b"abcdefg")
    assert int(compile_native(I.scan)(ctypes.addressof(buf), ord("e"))) == 4
    assert int(I.scan(u64(ctypes.addressof(buf)), u8(ord("e")))) == 4


@pytest.mark.parametrize("fn", [I.counter, I.c_string_length, I.scan])
def test_native_only_on_bpf(fn):
    with pytest.raises(LangCompileError,
                       match=r"only available on the native target|unbounded|cannot prove"):
        compile_bpf(fn, hook="xdp")


def test_batch_entry_point():
    f = compile_native(I.first_byte)
    ctxs = [XdpCtx.from_packet(bytes([i, 1])) for i in range(10)] + [XdpCtx.from_packet(b"")]
    assert f.run_batch(ctxs) == [I.first_byte(XdpCtx.from_packet(c.packet_bytes()))
                                 for c in ctxs]
    assert f.run_batch([]) == []
    with pytest.raises(TypeError, match="not a handler"):
        compile_native(I.scan).run_batch([])
