"""Every object of ../shared/ebpf-samples loads or is rejected with ElfError, never a crash.

Oracles: PREVAIL's inventory of the same corpus (programs per section), the ELF symbol
tables read by pyelftools (maps), and structural invariants of linked programs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from chamelio.ebpf import isa
from chamelio.ebpf.elf import RELOC_MAP, RELOC_MAP_VALUE, ObjectFile
from chamelio.ebpf.elf.sweep import SweepSummary, main, sweep

# Rejected on purpose, with the reason's key words.
EXPECTED_REJECTED = {
    "build/badrelo.o": "undefined function 'ebpf_map_update_elem'",
    "build/externalfunction.o": "undefined function 'bpf_map_lookup_elem'",
    "falco/probe.o": "undefined function 'memset'",  # clang left a libc call in
    "invalid/badsymsize.o": "bad symbol entry size",
    "invalid/invalid-lddw.o": "lddw at offset 8 is cut off",
}
# (programs, maps) of objects whose sources we know (kernel samples/bpf, our build/ cases).
KNOWN = {
    "linux/sockex1_kern.o": (1, 1),
    "linux/sockex3_kern.o": (5, 3),
    "linux/xdp1_kern.o": (1, 1),
    "linux/tracex2_kern.o": (2, 2),
    "linux/test_map_in_map_kern.o": (1, 7),
    "linux/map_perf_test_kern.o": (8, 12),  # 11 legacy + .rodata.str1.16
    "build/bpf2bpf.o": (1, 0),
    "build/global_variable.o": (1, 3),
    "build/twomaps_btf.o": (1, 2),
    "cilium-examples/xdp_bpf_bpfel.o": (1, 1),
    "ovs/datapath.o": (19, 11),  # 9 legacy + two .rodata.str1.* sections
}


def check_linked(obj: ObjectFile) -> None:
    """Invariants every loaded program must satisfy (the interpreter and kernel rely on them)."""
    for prog in obj.programs:
        where = f"{obj.path} {prog.name}"
        assert isa.encode(prog.insns) == prog.code, where
        relocs = {r.pc: r for r in prog.map_relocs}
        for pc, insn in enumerate(prog.insns):
            if insn.is_lddw and insn.src in (isa.BPF_PSEUDO_MAP_FD, isa.BPF_PSEUDO_MAP_VALUE):
                r = relocs.pop(pc, None)
                if r is None:
                    continue  # a raw lddw src 1/2 written without a relocation
                assert r.kind == (RELOC_MAP if insn.src == 1 else RELOC_MAP_VALUE), where
                assert insn.imm == r.map_index < len(obj.maps), where
                if insn.src == isa.BPF_PSEUDO_MAP_VALUE:
                    assert prog.insns[pc + 1].imm == r.offset < obj.maps[r.map_index].value_size
        assert not relocs, f"{where}: relocations on non-map lddw: {relocs}"
        starts = {0} | {pc for pc, _ in prog.subprograms}
        for c in prog.calls:
            assert c.pc + prog.insns[c.pc].imm + 1 == c.target, where
            assert 0 <= c.target < len(prog.insns), where
            assert c.target in starts or c.kind == "call", where
        assert all(0 <= pc < len(prog.insns) for pc in prog.line_info), where


def _map_symbol_count(path: Path) -> int:
    """Maps an object declares, counted independently from its symbol table (pyelftools)."""
    with open(path, "rb") as fh:
        elf = ELFFile(fh)
        secs = {i: s for i, s in enumerate(elf.iter_sections())}
        map_secs = {
            i for i, s in secs.items() if s.name == ".maps" or s.name.split("/")[0] == "maps"
        }
        data = sum(
            1 for s in secs.values()
            if s.name.split(".")[1:2] in (["data"], ["rodata"], ["bss"]) and s.name.startswith(".")
            and s["sh_size"] > 0 and not s["sh_flags"] & 4
        )  # fmt: skip
        symtab = elf.get_section_by_name(".symtab")
        assert isinstance(symtab, SymbolTableSection)
        named = sum(
            1 for sym in symtab.iter_symbols()
            if sym["st_shndx"] in map_secs and sym.name and sym["st_info"]["type"] != "STT_SECTION"
        )  # fmt: skip
    return named + data


@pytest.fixture(scope="module")
def summary(samples: Path) -> SweepSummary:
    return sweep(samples)


def test_sweep_over_the_sample_corpus(samples: Path, summary: SweepSummary) -> None:
    print("\n" + "\n".join(summary.lines()))
    line = summary.one_line()
    crashes = "\n".join(f"{rel}:\n{tb}" for rel, tb in summary.crashed.items())
    assert not summary.crashed, f"{line}\n{crashes}"
    assert summary.objects == len(list(samples.rglob("*.o"))) == 156, line
    assert set(summary.rejected) == set(EXPECTED_REJECTED), line
    for rel, words in EXPECTED_REJECTED.items():
        assert words in summary.rejected[rel], f"{rel}: {summary.rejected[rel]}"
    for rel, (n_progs, n_maps) in KNOWN.items():
        obj = summary.loaded[rel]
        assert (len(obj.programs), len(obj.maps)) == (n_progs, n_maps), f"{rel}: {line}"
    for obj in summary.loaded.values():
        check_linked(obj)
    assert summary.relocs["map"] > 10_000 and summary.relocs["map_value"] > 1_000, line
    assert summary.relocs["call"] > 0 and summary.relocs["func_addr"] > 0, line
    assert summary.needs_core > 0 and summary.with_line_info > 100, line


def test_programs_agree_with_prevail_inventory(samples: Path, summary: SweepSummary) -> None:
    """Same (section, function) pairs as PREVAIL found, except .text: libbpf (and we) treat
    .text functions as subprograms, PREVAIL lists them as programs too."""
    inventory = json.loads((samples / "prevail_elf_inventory.json").read_text())["projects"]
    compared = 0
    for rel, obj in summary.loaded.items():
        project, name = rel.split("/", 1)
        entry = inventory.get(project, {}).get("objects", {}).get(name)
        if entry is None:
            continue
        theirs = sorted((sec, f["function"]) for sec, fs in entry["sections"].items() for f in fs
                        if sec != ".text")  # fmt: skip
        ours = sorted((p.section, p.name) for p in obj.programs if p.section != ".text")
        assert ours == theirs, rel
        compared += 1
    assert compared >= 140


def test_map_counts_agree_with_symbol_tables(samples: Path, summary: SweepSummary) -> None:
    checked = 0
    for rel, obj in summary.loaded.items():
        if (samples / rel).stat().st_size < 400_000:  # pyelftools reads symbols slowly
            assert len(obj.maps) == _map_symbol_count(samples / rel), rel
            checked += 1
    assert checked > 130


def test_sweep_command_prints_summary(samples: Path, capsys) -> None:
    assert main([str(samples / "linux")]) == 0
    out = capsys.readouterr().out
    assert "52 objects: 52 loaded, 0 rejected, 0 crashed" in out
    assert main([str(samples / "no-such-dir")]) == 2
