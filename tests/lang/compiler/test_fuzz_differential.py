"""Random well-typed handlers: whatever the checker accepts must load in the kernel and give
the same verdict, packet and map contents in plain Python, native code and the kernel."""

from __future__ import annotations

import random
import warnings

import pytest

from chamelio.errors import ChamelioError
from chamelio.lang import XdpCtx
from chamelio.lang.compiler import compile_bpf, compile_native
from chamelio.lang.compiler.frontend import module_from_source
from tests.lang.compiler import kernelrun
from tests.lang.compiler.progfuzz import program

PACKETS = [bytes(64), bytes(range(64)), bytes(range(200, 256)) * 2, bytes(14), bytes([255] * 30)]


def _run_python(src: str) -> tuple[list[tuple[int, bytes]], dict[bytes, bytes]]:
    mod = module_from_source(src)
    out = []
    for d in PACKETS:
        ctx = XdpCtx.from_packet(d)
        out.append((int(mod.prog(ctx)), ctx.packet_bytes()))
    return out, mod.m.raw_items()


def _run_native(src: str) -> tuple[list[tuple[int, bytes]], dict[bytes, bytes]]:
    mod = module_from_source(src)
    fn = compile_native(mod.prog)
    out = []
    for d in PACKETS:
        ctx = XdpCtx.from_packet(d)
        out.append((int(fn(ctx)), ctx.packet_bytes()))
    return out, mod.m.raw_items()


def _accepted(chunk: int, per_chunk: int = 6) -> list[tuple[int, str, bytes]]:
    """The first ``per_chunk`` programs (from seeds ``chunk * 1000 ...``) the compiler accepts
    and plain Python runs without dividing a plain int by zero."""
    out: list[tuple[int, str, bytes]] = []
    seed = chunk * 1000
    while len(out) < per_chunk:
        src = program(random.Random(seed))
        try:
            obj = compile_bpf(src)
            _run_python(src)
            out.append((seed, src, obj))
        except (ChamelioError, ZeroDivisionError):
            pass  # rejected (or an error in the reference run): not this test's subject
        seed += 1
    return out


@pytest.mark.parametrize("chunk", range(5))
def test_random_handlers_agree_everywhere(kernel, chunk):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        for seed, src, obj in _accepted(chunk):
            want = _run_python(src)
            assert _run_native(src) == want, seed
            with kernelrun.load(obj) as kp:
                got = [(r.retval, r.data_out) for r in (kp.run(d) for d in PACKETS)]
                kmap = dict(kp.maps["m"].items()) if "m" in kp.maps else {}
            assert got == want[0], seed
            assert kmap == want[1], seed
