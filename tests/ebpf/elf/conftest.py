from __future__ import annotations

from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "ebpf-samples"


@pytest.fixture(scope="session")
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"the eBPF sample corpus is not at {SAMPLES}")
    return SAMPLES


def section_data(path: Path, name: str) -> bytes:
    """The contents of section ``name`` of an ELF file, read with pyelftools."""
    from elftools.elf.elffile import ELFFile

    with open(path, "rb") as fh:
        sec = ELFFile(fh).get_section_by_name(name)
        assert sec is not None, f"{path} has no section {name}"
        return bytes(sec.data())
