"""Every operator at every width and signedness in the kernel (``BPF_PROG_TEST_RUN``): the
operands come in the packet, so nothing is folded at compile time; results against intops.
cpu v3 lowers signed division through unsigned operations, v4 uses sdiv/smod."""

from __future__ import annotations

import struct

import pytest

from chamelio.lang import intops
from chamelio.lang.compiler import compile_bpf
from tests.lang.compiler import kernelrun, opsgen

CASES = [(bits, signed, "v3") for bits, signed in opsgen.TYPES] + [
    (bits, True, "v4") for bits in (8, 16, 32, 64)] + [
    (bits, signed, cpu) for cpu in ("v1", "v2") for bits, signed in ((32, True), (64, False))]


@pytest.mark.parametrize(("bits", "signed", "cpu"), CASES,
                         ids=[f"{opsgen.tname(b, s)}-{c}" for b, s, c in CASES])
def test_ops_in_kernel(kernel, bits, signed, cpu):
    m = opsgen.ops_module(bits, signed)
    obj = compile_bpf(m.prog, cpu=cpu)
    bad: list[tuple[object, ...]] = []
    u = intops.to_unsigned
    with kernelrun.load(obj) as kp:
        for a, b in opsgen.pairs(bits, signed):
            for op in range(opsgen.INVERT + 1):
                data = struct.pack("<QQQ", op, u(a, 64), u(b, 64)) + bytes(72)
                out = struct.unpack_from("<11Q", kp.run(data).data_out)
                want = u(intops.cast(opsgen.expected(op, a, b, bits, signed), 64, False), 64)
                if out[0] != want:
                    bad.append(("op", op, a, b, hex(out[0]), hex(want)))
                if out[1] != opsgen.expected_cmp(op % 6, a, b, bits, signed):
                    bad.append(("cmp", op % 6, a, b, out[1]))
                if op == 0:
                    bad += [("cast", a, to, out[2 + to]) for to in range(9)
                            if out[2 + to] != opsgen.cast_expected(a, to)]
    assert not bad, bad[:10]
