"""Truncated and bit-flipped real objects: only ElfError may come out, never a crash or hang.

The seeded loop mutates structure where it hurts (header, section headers, symbol and
relocation tables, BTF, code); ``CHAMELIO_FUZZ_SEED`` / ``CHAMELIO_FUZZ_CASES`` explore more.
"""

from __future__ import annotations

import io
import os
import random
import signal
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chamelio.ebpf.elf import ElfError, load_object

from .conftest import SAMPLES

SEEDS = [
    "build/bpf2bpf.o",  # BTF, BTF.ext, bpf-to-bpf calls
    "build/global_variable.o",  # .data/.rodata/.bss
    "build/map_in_map.o",  # BTF map-in-map
    "build/tail_call.o",
    "linux/test_map_in_map_kern.o",  # legacy maps with inner index
    "linux/sockex3_kern.o",
    "cilium-examples/tcprtt_bpf_bpfel.o",  # CO-RE
    "cilium-examples/xdp_bpf_bpfel.o",
]
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no sample corpus at {SAMPLES}")
HANG_SECONDS = 30  # a guard against infinite loops, not a speed requirement
BOUNDARY = (0, 1, 7, 8, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 1 << 63, (1 << 64) - 1)


class Hang(Exception):
    pass


@contextmanager
def hang_guard() -> Iterator[None]:
    def on_alarm(signum: int, frame: object) -> None:
        raise Hang(f"load_object did not return within {HANG_SECONDS} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def load_or_reject(data: bytes) -> str:
    with hang_guard():
        try:
            load_object(data, name="fuzzed.o")
        except ElfError as exc:
            assert exc.message, "an ElfError needs a message"
            return "rejected"
    return "loaded"


def _regions(data: bytes) -> list[tuple[int, int]]:
    """Byte ranges worth mutating: header, section headers, and each section's contents."""
    elf = ELFFile(io.BytesIO(data))
    regions = [(0, 64)]
    shoff, shnum = elf["e_shoff"], elf["e_shnum"]
    regions.append((shoff, shoff + 64 * shnum))
    for sec in elf.iter_sections():
        if sec["sh_type"] != "SHT_NOBITS" and sec["sh_size"]:
            regions.append((sec["sh_offset"], sec["sh_offset"] + sec["sh_size"]))
    return regions


def _mutate(rng: random.Random, data: bytes, regions: list[tuple[int, int]]) -> bytes:
    buf = bytearray(data)
    how = rng.randrange(4)
    if how == 0:
        return bytes(buf[: rng.randrange(len(buf))])
    if how == 1:
        for _ in range(rng.randint(1, 16)):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
        return bytes(buf)
    start, end = rng.choice(regions)
    for _ in range(rng.randint(1, 4)):
        if how == 2 and end - start >= 8:  # a boundary value in an aligned field
            width = rng.choice((2, 4, 8))
            off = start + rng.randrange(max(1, (end - start - width) // width + 1)) * width
            value = rng.choice(BOUNDARY) & ((1 << (8 * width)) - 1)
            buf[off : off + width] = value.to_bytes(width, "little")
        else:
            buf[start + rng.randrange(max(1, end - start))] ^= 1 << rng.randrange(8)
    return bytes(buf[: len(data)])


@pytest.fixture(scope="module")
def seeds(samples: Path) -> list[tuple[bytes, list[tuple[int, int]]]]:
    out = []
    for rel in SEEDS:
        data = (samples / rel).read_bytes()
        assert load_or_reject(data) == "loaded", rel
        out.append((data, _regions(data)))
    return out


def test_seeded_structure_fuzz(seeds: list[tuple[bytes, list[tuple[int, int]]]]) -> None:
    seed = int(os.environ.get("CHAMELIO_FUZZ_SEED", "20261203"))
    cases = int(os.environ.get("CHAMELIO_FUZZ_CASES", "400"))
    rng = random.Random(seed)
    outcome = {"loaded": 0, "rejected": 0}
    for case in range(cases):
        data, regions = seeds[case % len(seeds)]
        mutated = _mutate(rng, data, regions)
        try:
            outcome[load_or_reject(mutated)] += 1
        except Exception as exc:  # report the reproducer, then fail
            path = Path(f"/tmp/chamelio-elf-fuzz-{seed}-{case}.o")
            path.write_bytes(mutated)
            raise AssertionError(f"case {case} (seed {seed}, saved to {path}): {exc!r}") from exc
    print(f"\nfuzz seed {seed}: {cases} cases, {outcome}")
    # both outcomes must occur, or the mutations are not reaching the loader's checks
    assert outcome["rejected"] > cases // 10 and outcome["loaded"] > cases // 10, outcome


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(
    which=st.sampled_from(SEEDS),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 7)), max_size=8),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_hypothesis_flips_and_truncation(
    which: str, flips: list[tuple[float, int]], cut: float | None
) -> None:
    buf = bytearray((SAMPLES / which).read_bytes())
    for where, bit in flips:
        buf[int(where * len(buf))] ^= 1 << bit
    if cut is not None:
        buf = buf[: int(cut * len(buf))]
    load_or_reject(bytes(buf))


def test_every_prefix_of_a_small_object(samples: Path) -> None:
    """Truncation at every 8-byte boundary of one object: each is rejected cleanly."""
    data = (samples / "build" / "global_variable.o").read_bytes()
    results = {load_or_reject(data[:n]) for n in range(0, len(data), 8)}
    assert results == {"rejected"}
    assert struct.unpack_from("<H", data, 18)[0] == 247  # really an eBPF object
