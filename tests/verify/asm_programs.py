"""Helpers for the verifier's unit tests: assemble a snippet and verify it.

``XDP_PROLOGUE`` leaves ``r2`` = data, ``r3`` = data_end and ``r6`` = ctx; ``check(n)``
is the bounds check that proves ``n`` packet bytes (jumping to ``out`` when short, where
the snippet must define ``out: mov %r0, 1; exit`` or use ``TAIL``).
"""

from __future__ import annotations

from typing import Any

from chamelio.ebpf.asm import assemble
from chamelio.ebpf.isa import Insn
from chamelio.verify import Report, verify

XDP_PROLOGUE = """
    mov %r6, %r1
    ldxw %r2, [%r1]
    ldxw %r3, [%r1+4]
"""
TAIL = """
out:
    mov %r0, 1
    exit
"""
ARRAY_8 = (2, 4, 8, 4)  # array map: key 4 bytes, value 8 bytes, 4 entries
HASH_4_16 = (1, 4, 16, 64)  # hash map: key 4 bytes, value 16 bytes


def check(n: int, reg: int = 4) -> str:
    return f"""
    mov %r{reg}, %r2
    add %r{reg}, {n}
    jgt %r{reg}, %r3, out
"""


def asm(text: str) -> list[Insn]:
    return assemble(text)


def run(text: str, profile: str = "xdp", **kwargs: Any) -> Report:
    """Verify an assembly snippet; print the report (shown when a test fails)."""
    report = verify(assemble(text), profile, **kwargs)
    print(report.format())
    return report


def accepts(text: str, profile: str = "xdp", **kwargs: Any) -> Report:
    report = run(text, profile, **kwargs)
    assert report.accepted, report.format()
    return report


def rejects(text: str, expect: str, profile: str = "xdp", **kwargs: Any) -> Report:
    report = run(text, profile, **kwargs)
    assert not report.accepted, f"accepted, expected a rejection about {expect!r}"
    assert report.error is not None
    assert expect in report.error.message, report.format()
    return report
