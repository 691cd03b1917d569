"""Invalid objects are rejected with ElfError and a message that says what is wrong."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from chamelio.ebpf import isa
from chamelio.ebpf.elf import ElfError, linker, load_object
from chamelio.ebpf.elf.btf import Btf, parse_btf_ext
from chamelio.errors import ChamelioError

from .conftest import section_data
from .elfbuild import (
    EXIT,
    R_BPF_64_32,
    STT_OBJECT,
    ElfBuilder,
    call_local,
    code,
    mov,
)


def _rejects(data: bytes, *fragments: str) -> ElfError:
    with pytest.raises(ElfError) as info:
        load_object(data)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert isinstance(info.value, ChamelioError)
    return info.value


def _one_prog(body: bytes, name: str = "xdp") -> tuple[ElfBuilder, int]:
    b = ElfBuilder()
    sec = b.section(name, body, code=True)
    b.symbol("prog", sec, 0, len(body))
    return b, sec


def _valid() -> bytes:
    return _one_prog(code(mov(0, 2), EXIT))[0].build()


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: b"", "not an ELF object"),
        (lambda d: b"hello world" * 10, "bad magic"),
        (lambda d: d[:4] + b"\x01" + d[5:], "not a 64-bit ELF"),
        (lambda d: d[:5] + b"\x02" + d[6:], "big-endian eBPF objects are not supported"),
        (lambda d: d[:16] + struct.pack("<H", 2) + d[18:], "not a relocatable object"),
        (lambda d: d[:18] + struct.pack("<H", 62) + d[20:], "not an eBPF object (e_machine 62"),
        (lambda d: d[:60] + struct.pack("<H", 500) + d[62:], "extend past end of file"),
        (lambda d: d[:62] + struct.pack("<H", 400) + d[64:], "name table index 400"),
        (lambda d: d[:200], "extend past end of file"),
    ],
)
def test_header_problems(mutate, fragment: str) -> None:
    _rejects(mutate(_valid()), fragment)


def test_code_size_not_a_multiple_of_eight() -> None:
    _rejects(_one_prog(code(mov(0, 2), EXIT) + b"\0\0\0")[0].build(), "not a multiple of 8")


def test_lddw_cut_by_end_of_function() -> None:
    body = code(isa.lddw(1, 5))[:8]
    _rejects(_one_prog(body)[0].build(), "lddw at offset 0 is cut off")


def test_function_overrunning_its_section() -> None:
    b = ElfBuilder()
    sec = b.section("xdp", code(mov(0, 2), EXIT), code=True)
    b.symbol("prog", sec, 0, 64)
    _rejects(b.build(), "'prog' (offset 0, size 64) overruns the section")


def test_call_into_nothing() -> None:
    _rejects(_one_prog(code(call_local(40), EXIT))[0].build(), "into nothing")


def test_call_into_the_middle_of_a_function() -> None:
    b = ElfBuilder()
    text = b.section(".text", code(mov(0, 1), mov(0, 2), EXIT), code=True)
    xdp = b.section("xdp", code(call_local(0), EXIT), code=True)
    sub = b.symbol("sub", text, 0, 24)
    b.symbol("prog", xdp, 0, 16)
    b.reloc(xdp, 0, sub, R_BPF_64_32)  # sym 0 + (0 + 1) * 8: slot 1 of sub
    _rejects(b.build(), "not the start of a function")


def test_call_to_undefined_function() -> None:
    b, sec = _one_prog(code(call_local(-1), EXIT))
    ext = b.symbol("memcpy", 0)
    b.reloc(sec, 0, ext, R_BPF_64_32)
    _rejects(b.build(), "undefined function 'memcpy'")


@pytest.mark.parametrize(
    ("offset", "rtype", "fragment"),
    [
        (800, 1, "relocation offset 800 is not an instruction"),
        (3, 1, "relocation offset 3 is not an instruction"),
        (0, 77, "unknown relocation type 77"),
        (0, 2, "R_BPF_64_ABS64 at offset 0 is not valid in code"),
        (8, 1, "relocation at offset 8 points into an lddw"),
        (16, 1, "targets an instruction with opcode 0x95, not lddw or call"),
    ],
)
def test_bad_relocations(offset: int, rtype: int, fragment: str) -> None:
    b, sec = _one_prog(code(isa.lddw(1, 0), EXIT))
    maps = b.section("maps", bytes(20))
    m = b.symbol("m", maps, 0, 20, type=STT_OBJECT)
    b.reloc(sec, offset, m, rtype)
    err = _rejects(b.build(), fragment)
    assert err.section in ("xdp", ".relxdp")


def test_relocation_symbol_out_of_range_and_bad_section_index() -> None:
    b, sec = _one_prog(code(isa.lddw(1, 0), EXIT))
    b.reloc(sec, 0, 99)
    _rejects(b.build(), "symbol #99, out of range")
    b, sec = _one_prog(code(isa.lddw(1, 0), EXIT))
    bad = b.symbol("bad", 77, type=STT_OBJECT)
    b.reloc(sec, 0, bad)
    _rejects(b.build(), "index 77 is out of range")


def test_lddw_of_an_extern() -> None:
    b, sec = _one_prog(code(isa.lddw(1, 0), EXIT))
    b.reloc(sec, 0, b.symbol("CONFIG_HZ", 0, type=STT_OBJECT))
    _rejects(b.build(), "undefined symbol 'CONFIG_HZ'")


def test_lddw_of_something_that_is_no_map() -> None:
    b, sec = _one_prog(code(isa.lddw(1, 0), EXIT))
    lic = b.section("license", b"GPL\0")
    b.reloc(sec, 0, b.symbol("lic", lic, type=STT_OBJECT))
    _rejects(b.build(), "which is no map, global data or code")


def test_global_data_reference_out_of_range() -> None:
    b, sec = _one_prog(code(isa.lddw(1, 8), EXIT))
    ro = b.section(".rodata", b"abcd")
    b.reloc(sec, 0, b.symbol("x", ro, type=STT_OBJECT))
    _rejects(b.build(), "outside '.rodata' (4 bytes)")


def test_bad_legacy_maps_and_btf_maps_without_btf() -> None:
    b, _ = _one_prog(code(mov(0, 2), EXIT))
    maps = b.section("maps", bytes(30))
    b.symbol("m", maps, 0, 20, type=STT_OBJECT)
    _rejects(b.build(), "not a whole number of struct bpf_map_def")
    b, _ = _one_prog(code(mov(0, 2), EXIT))
    dot_maps = b.section(".maps", bytes(32))
    b.symbol("m", dot_maps, 0, 32, type=STT_OBJECT)
    _rejects(b.build(), "need a .BTF section")


def test_bad_version_section() -> None:
    b, _ = _one_prog(code(mov(0, 2), EXIT))
    b.section("version", b"\1\2")
    _rejects(b.build(), "kernel version section of 2 bytes")


def test_path_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ElfError, match="cannot read"):
        load_object(tmp_path / "missing.o")
    bad = tmp_path / "bad.o"
    bad.write_bytes(b"\x7fELF" + bytes(100))
    with pytest.raises(ElfError) as info:
        load_object(bad)
    assert str(info.value).startswith(str(bad))


def test_corrupt_btf(samples: Path) -> None:
    path = samples / "cilium-examples" / "xdp_bpf_bpfel.o"
    btf_data, ext_data = section_data(path, ".BTF"), section_data(path, ".BTF.ext")
    btf = Btf(btf_data)
    assert btf.datasec(".maps") is not None
    parse_btf_ext(ext_data, btf)
    for bad, fragment in [
        (btf_data[:10], "too short"),
        (b"\x00\x00" + btf_data[2:], "bad magic"),
        (btf_data[: len(btf_data) // 2], "extends past the section"),
        (b"\xeb\x9f" + btf_data[2:], "big-endian BTF"),
    ]:
        with pytest.raises(ElfError, match=fragment):
            Btf(bad)
    with pytest.raises(ElfError, match=r"BTF\.ext"):
        parse_btf_ext(ext_data[:12], btf)
    with pytest.raises(ElfError):
        parse_btf_ext(ext_data[: len(ext_data) - 20], btf)


def test_invalid_samples_rejected(samples: Path) -> None:
    with pytest.raises(ElfError, match="symbol entry size"):
        load_object(samples / "invalid" / "badsymsize.o")
    with pytest.raises(ElfError, match="lddw at offset 8 is cut off"):
        load_object(samples / "invalid" / "invalid-lddw.o")
    with pytest.raises(ElfError, match="undefined function 'bpf_map_lookup_elem'"):
        load_object(samples / "build" / "externalfunction.o")


def _two_programs_calling_one_subprogram() -> bytes:
    b = ElfBuilder()
    text = b.section(".text", code(mov(0, 1), mov(0, 2), EXIT), code=True)
    xdp = b.section("xdp", code(call_local(-1), EXIT, call_local(-1), EXIT), code=True)
    sub = b.symbol("sub", text, 0, 24)
    b.symbol("one", xdp, 0, 16)
    b.symbol("two", xdp, 16, 16)
    b.reloc(xdp, 0, sub, R_BPF_64_32)
    b.reloc(xdp, 16, sub, R_BPF_64_32)
    return b.build()


def test_linked_size_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each program gets its own copy of its subprograms: the total is capped, so a small
    object cannot expand into gigabytes."""
    data = _two_programs_calling_one_subprogram()
    assert [len(p.insns) for p in load_object(data).programs] == [5, 5]
    monkeypatch.setattr(linker, "MAX_PROGRAM_SLOTS", 4)
    _rejects(data, "program 'one' exceeds 4 instructions")
    monkeypatch.setattr(linker, "MAX_PROGRAM_SLOTS", 1_000_000)
    monkeypatch.setattr(linker, "MAX_OBJECT_SLOTS", 8)
    _rejects(data, "exceed 8 instructions in total")


def test_huge_bss() -> None:
    b, _ = _one_prog(code(mov(0, 2), EXIT))
    b.section(".bss", nobits=1 << 40, writable=True)
    _rejects(b.build(), "global data of 1099511627776 bytes is too large")
