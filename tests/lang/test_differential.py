"""Differential: plain Python == native == the Linux kernel, on random packets.

Every handler of :mod:`tests.lang.diff_handlers` is compiled once to native code
(``compile_native``) and once to an eBPF object (``compile_bpf``, loaded through the kernel
oracle); hypothesis then feeds each the same lists of packets. Verdicts, output packets (where
the handlers write every result) and the maps afterwards must be identical. Operands are drawn
from edge values (0, 1, -1, MIN, MAX ...) as often as at random, and packets are sometimes too
short for a handler, so its bounds-check path is compared too.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chamelio.ebpf.kernel import kernel_available
from chamelio.lang import XdpCtx, compile_bpf, compile_native
from tests.examples.harness import KernelHandler, MapDump, Outcome, python_dump

from . import diff_handlers as D

_FORMATS = {1: "B", 2: "H", 4: "I", 8: "Q"}


def edges(width: int) -> list[int]:
    """0, small numbers, shift widths, MAX, MIN and their neighbours, as ``width`` bytes."""
    bits = 8 * width
    top = (1 << bits) - 1
    sign = 1 << (bits - 1)
    values = {0, 1, 2, 3, 5, 7, 8, 31, 32, 63, 64, top, top - 1, sign, sign - 1, sign + 1,
              0x7F, 0x80, 0xFF}
    return sorted(v for v in values if v <= top)


def operand(width: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(edges(width)), st.integers(0, (1 << (8 * width)) - 1))


@st.composite
def packet(draw: st.DrawFn, width: int, need: int) -> bytes:
    """At least 14 bytes (an Ethernet header, for BPF_PROG_TEST_RUN), usually ``need`` or
    more, built from big-endian operands of ``width`` bytes."""
    length = draw(st.one_of(st.integers(need, need + 16), st.integers(14, need + 16)))
    count = -(-length // width)
    values = draw(st.lists(operand(width), min_size=count, max_size=count))
    return struct.pack(f"!{count}{_FORMATS[width]}", *values)[:length]


@st.composite
def map_packet(draw: st.DrawFn) -> bytes:
    """For ``maps``: an operation (inserts favoured, to fill the map), one of 12 keys (the map
    holds 8), a value."""
    op = draw(st.one_of(st.sampled_from([0, 4, 0x80]), st.integers(0, 255)))
    key = draw(st.integers(0, 11))
    val = draw(operand(4))
    return struct.pack("!BHI", op, key, val) + draw(st.binary(min_size=7, max_size=16))


@dataclass(frozen=True)
class Case:
    handler: Callable[[XdpCtx], Any]
    packets: st.SearchStrategy[bytes]
    max_packets: int = 6
    min_packets: int = 1
    cpu: str = "v3"  # v4 has signed division instructions; v3 needs the compiler's lowering

    @property
    def id(self) -> str:
        name: str = self.handler.__name__
        return name if self.cpu == "v3" else f"{name}-{self.cpu}"


CASES = [
    Case(D.arith_8, packet(1, 16)),
    Case(D.arith_16, packet(2, 32)),
    Case(D.arith_32, packet(4, 60)),
    Case(D.arith_64, packet(8, 112)),
    Case(D.shifts, packet(8, 56)),
    Case(D.casts, packet(8, 64)),
    Case(D.branches, st.one_of(packet(4, 24), packet(1, 24))),
    Case(D.loops, st.one_of(packet(1, 24), packet(1, 60), packet(4, 24))),
    Case(D.structs, packet(8, 56)),
    Case(D.maps, map_packet(), min_packets=12, max_packets=40),
    Case(D.calls, st.one_of(packet(4, 32), packet(1, 32))),
    *(Case(fn, packet(w, n), cpu="v4") for fn, w, n in
      ((D.arith_8, 1, 16), (D.arith_16, 2, 32), (D.arith_32, 4, 60), (D.arith_64, 8, 112))),
]


@dataclass
class Compiled:
    native: Any
    kernel: KernelHandler | None
    skip_reason: str = ""


@pytest.fixture(scope="module")
def compiled() -> Iterator[dict[str, Compiled]]:
    cache: dict[str, Compiled] = {}
    yield cache
    for c in cache.values():
        if c.kernel is not None:
            c.kernel.close()


def get(cache: dict[str, Compiled], case: Case) -> Compiled:
    if case.id not in cache:
        native = compile_native(case.handler)
        obj = compile_bpf(case.handler, cpu=case.cpu)
        ok, reason = kernel_available()
        kernel = KernelHandler(obj) if ok else None
        cache[case.id] = Compiled(native, kernel, "" if ok else f"bpf(2) unavailable: {reason}")
    return cache[case.id]


def reset_maps() -> None:
    D.table.clear()
    D.totals.clear()


def run_with(fn: Callable[[XdpCtx], Any], packets: list[bytes]) -> tuple[list[Outcome], MapDump]:
    reset_maps()
    out = []
    for data in packets:
        ctx = XdpCtx.from_packet(data)
        out.append(Outcome(int(fn(ctx)), ctx.packet_bytes()))
    return out, python_dump(D)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_python_native_and_kernel_agree(compiled, case):
    backends = get(compiled, case)

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(case.packets, min_size=case.min_packets, max_size=case.max_packets))
    def check(packets: list[bytes]) -> None:
        want, want_maps = run_with(case.handler, packets)
        got, got_maps = run_with(backends.native, packets)
        assert got == want, "native differs from Python"
        assert got_maps == want_maps, "native maps differ from Python's"
        k = backends.kernel
        if k is not None:
            k.reset()
            assert k.run(packets) == want, "the kernel differs from Python"
            assert k.dump() == {n: want_maps[n] for n in k.maps}, "kernel maps differ"

    check()
    if backends.skip_reason:
        pytest.skip(f"Python == native checked; the kernel part skipped: {backends.skip_reason}")
