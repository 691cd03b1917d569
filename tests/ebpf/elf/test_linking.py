"""Linking and relocation on crafted objects (cases the sample corpus lacks)."""

from __future__ import annotations

from chamelio.ebpf import isa
from chamelio.ebpf.elf import RELOC_MAP, RELOC_MAP_VALUE, load_object

from .elfbuild import (
    EXIT,
    R_BPF_64_32,
    STB_LOCAL,
    STT_OBJECT,
    STT_SECTION,
    ElfBuilder,
    call_helper,
    call_local,
    code,
    mov,
)


def test_several_programs_per_section_share_text_subprograms() -> None:
    b = ElfBuilder()
    text = b.section(".text", code(mov(0, 7), EXIT, mov(0, 8), call_local(-1), EXIT), code=True)
    rx = b.section("chamelio/rx", code(call_local(-1), EXIT, call_local(1), EXIT), code=True)
    sub7 = b.symbol("sub7", text, 0, 16)
    b.symbol("sub8", text, 16, 24)
    b.symbol("first", rx, 0, 16)
    b.symbol("second", rx, 16, 16)
    sec_sym = b.symbol("", text, type=STT_SECTION, bind=STB_LOCAL)
    b.reloc(rx, 0, sub7, R_BPF_64_32)  # global function: imm -1, symbol value 0
    # a static function: relocation against the section, imm = slot offset - 1 (sub8 at slot 2)
    b.reloc(rx, 16, sec_sym, R_BPF_64_32)
    b.reloc(text, 24, sub7, R_BPF_64_32)  # sub8 calls sub7
    obj = load_object(b.build())
    first, second = obj.programs
    assert (first.name, second.name) == ("first", "second")
    assert first.kind == "chamelio/rx" and first.prog_type is None
    assert first.subprograms == [(2, "sub7")]
    # second -> sub8 (appended at 2) -> sub7 (appended at 5): each program has its own copy
    assert second.subprograms == [(2, "sub8"), (5, "sub7")]
    assert sorted((c.pc, c.target) for c in second.calls) == [(0, 2), (3, 5)]
    for prog in (first, second):
        for c in prog.calls:
            assert prog.insns[c.pc].src == isa.BPF_PSEUDO_CALL
            assert c.pc + prog.insns[c.pc].imm + 1 == c.target


def test_static_call_in_text_and_chained_subprograms() -> None:
    b = ElfBuilder()
    # .text: sub_a (slots 0-1) calls sub_b without relocation (same section, static)
    text = b.section(".text", code(call_local(1), EXIT, mov(0, 2), EXIT), code=True)
    xdp = b.section("xdp", code(call_local(-1), EXIT), code=True)
    sub_a = b.symbol("sub_a", text, 0, 16)
    b.symbol("sub_b", text, 16, 16, bind=STB_LOCAL)
    b.symbol("prog", xdp, 0, 16)
    b.reloc(xdp, 0, sub_a, R_BPF_64_32)
    (prog,) = load_object(b.build()).programs
    assert prog.subprograms == [(2, "sub_a"), (4, "sub_b")]
    assert [(c.pc, c.target) for c in prog.calls] == [(2, 4), (0, 2)]
    for c in prog.calls:
        assert c.pc + prog.insns[c.pc].imm + 1 == c.target
    assert prog.insns[5] == isa.Insn(isa.OP_EXIT)


def test_call_within_one_symbolless_section_keeps_its_offset() -> None:
    b = ElfBuilder()
    xdp = b.section("xdp", code(call_local(1), EXIT, mov(0, 1), EXIT), code=True)
    del xdp  # no function symbols: the whole section is one program
    (prog,) = load_object(b.build()).programs
    assert prog.name == "xdp" and len(prog.insns) == 4
    assert [(c.pc, c.target) for c in prog.calls] == [(0, 2)] and prog.insns[0].imm == 1


def test_map_and_value_relocations_against_object_and_section_symbols() -> None:
    b = ElfBuilder()
    prog_code = code(isa.lddw(1, 0), isa.lddw(2, 4), isa.lddw(3, 0), call_helper(1), EXIT)
    xdp = b.section("xdp", prog_code, code=True)
    maps = b.section("maps", bytes(40))  # two struct bpf_map_def of 20 bytes
    rodata = b.section(".rodata", b"0123456789abcdef")
    bss = b.section(".bss", nobits=16, writable=True)
    b.symbol("prog", xdp, 0, len(prog_code))
    b.symbol("m0", maps, 0, 20, type=STT_OBJECT)
    m1 = b.symbol("m1", maps, 20, 20, type=STT_OBJECT)
    ro = b.symbol("", rodata, type=STT_SECTION, bind=STB_LOCAL)
    counter = b.symbol("counter", bss, 8, 8, type=STT_OBJECT)
    b.reloc(xdp, 0, m1)
    b.reloc(xdp, 16, ro)  # .rodata + 4 (imm carries the offset)
    b.reloc(xdp, 32, counter)  # .bss + 8 (the symbol carries it)
    obj = load_object(b.build())
    assert [m.name for m in obj.maps] == ["m0", "m1", ".rodata", ".bss"]
    assert obj.maps[3].initial == bytes(16) and obj.maps[2].initial == b"0123456789abcdef"
    (prog,) = obj.programs
    assert [(r.pc, r.kind, r.map_index, r.offset) for r in prog.map_relocs] == [
        (0, RELOC_MAP, 1, 0), (2, RELOC_MAP_VALUE, 2, 4), (4, RELOC_MAP_VALUE, 3, 8),
    ]  # fmt: skip
    assert (prog.insns[0].src, prog.insns[0].imm) == (isa.BPF_PSEUDO_MAP_FD, 1)
    assert (prog.insns[2].src, prog.insns[2].imm, prog.insns[3].imm) == (2, 2, 4)
    assert (prog.insns[4].src, prog.insns[4].imm, prog.insns[5].imm) == (2, 3, 8)
    assert prog.insns[6] == call_helper(1)  # helper calls stay as they are


def test_only_text_means_text_functions_are_programs() -> None:
    b = ElfBuilder()
    text = b.section(".text", code(mov(0, 1), EXIT, mov(0, 2), EXIT), code=True)
    b.symbol("main_a", text, 0, 16)
    b.symbol("helper_b", text, 16, 16, bind=STB_LOCAL)
    obj = load_object(b.build())
    assert [p.name for p in obj.programs] == ["main_a"]
    assert obj.programs[0].kind == "unknown"


def test_license_and_version_sections() -> None:
    b = ElfBuilder()
    b.section("socket", code(mov(0, 0), EXIT), code=True)
    b.section("license", b"Dual BSD/GPL\0")
    b.section("version", (0x50A00).to_bytes(4, "little"))
    obj = load_object(b.build(), name="crafted.o")
    assert (obj.license, obj.kern_version, obj.path) == ("Dual BSD/GPL", 0x50A00, "crafted.o")
    assert obj.programs[0].kind == "socket" and obj.programs[0].prog_type == 1
