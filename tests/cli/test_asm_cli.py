"""`chamelio asm` and `chamelio disasm` end to end (ELF checked by pyelftools and bpftool)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elftools.elf.elffile import ELFFile

from chamelio.cli.main import main
from chamelio.ebpf import isa
from chamelio.ebpf.asm import assemble


def _section(elf: ELFFile, name: str) -> Any:
    section = elf.get_section_by_name(name)
    assert section is not None, f"no section {name}"
    return section


PROGRAM = "# returns XDP_PASS\nmov %r0, 2\nja +0\nexit\n"
WITH_CALL = "mov %r1, 40\ncall local add2\nexit\nadd2:\nmov %r0, %r1\nadd %r0, 2\nexit\n"


def _asm(tmp_path: Path, text: str, *args: str, name: str = "prog.s") -> tuple[int, Path]:
    src = tmp_path / name
    src.write_text(text)
    out = tmp_path / (name + (".bin" if "--raw" in args else ".o"))
    return main(["asm", str(src), "-o", str(out), *args]), out


def test_raw_output_is_the_encoded_program(tmp_path: Path) -> None:
    code, out = _asm(tmp_path, PROGRAM, "--raw")
    assert code == 0
    assert out.read_bytes() == isa.encode(assemble(PROGRAM))


def test_elf_output_is_a_bpf_relocatable_object(tmp_path: Path) -> None:
    code, out = _asm(tmp_path, PROGRAM, "--section", "chamelio/rx", "--license", "Dual MIT/GPL")
    assert code == 0
    with out.open("rb") as f:
        elf = ELFFile(f)
        assert (elf["e_machine"], elf["e_type"], elf.little_endian) == ("EM_BPF", "ET_REL", True)
        assert _section(elf, "chamelio/rx").data() == isa.encode(assemble(PROGRAM))
        assert _section(elf, "license").data() == b"Dual MIT/GPL\0"
        symbols = {s.name: s for s in _section(elf, ".symtab").iter_symbols()}
        prog = symbols["prog"]
        assert (prog["st_info"]["type"], prog["st_info"]["bind"]) == ("STT_FUNC", "STB_GLOBAL")
        assert prog["st_size"] == 24


def test_elf_output_with_subprograms_puts_them_in_text(tmp_path: Path) -> None:
    code, out = _asm(tmp_path, WITH_CALL, "--symbol", "entry")
    assert code == 0
    with out.open("rb") as f:
        elf = ELFFile(f)
        assert len(_section(elf, "xdp").data()) == 3 * 8
        assert len(_section(elf, ".text").data()) == 3 * 8
        rel = list(_section(elf, ".relxdp").iter_relocations())
        assert [(r["r_offset"], r["r_info_type"]) for r in rel] == [(8, 10)]  # R_BPF_64_32
    try:
        from chamelio.ebpf.elf import load_object
    except ImportError:
        return  # the loader is optional here; pyelftools checked the layout
    linked = load_object(out).programs[0]
    assert isa.encode(list(linked.insns)) == isa.encode(assemble(WITH_CALL))


def test_asm_errors_name_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _asm(tmp_path, "mov %r0, 1\nldxq %r0, %r1\n")
    assert code == 2 and not out.exists()
    assert "prog.s:2: invalid mnemonic 'ldxq'" in capsys.readouterr().err
    code, _ = _asm(tmp_path, "lddw %r1, map_fd(0)\nexit\n")
    assert code == 2 and "map" in capsys.readouterr().err
    code, _ = _asm(tmp_path, "ja +2\ncall local f\nexit\nf: exit\n")
    assert code == 2 and "pc 0: jump crosses into a subprogram" in capsys.readouterr().err
    code, _ = _asm(tmp_path, "call local f\nexit\nf: call local -3\nexit\n")
    assert code == 2 and "pc 2: call target 0 is not a subprogram" in capsys.readouterr().err
    assert main(["asm", str(tmp_path / "missing.s")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_asm_reads_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("exit\n"))
    out = tmp_path / "x.bin"
    assert main(["asm", "-", "--raw", "-o", str(out)]) == 0
    assert out.read_bytes() == bytes.fromhex("9500000000000000")


def test_disasm_raw_asm_and_elf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, raw = _asm(tmp_path, WITH_CALL, "--raw")
    _, obj = _asm(tmp_path, WITH_CALL)
    capsys.readouterr()
    assert main(["disasm", str(raw)]) == 0
    text = capsys.readouterr().out
    assert isa.encode(assemble(text)) == raw.read_bytes()
    assert main(["disasm", "--labels", str(tmp_path / "prog.s")]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "call local L3"
    assert main(["disasm", "--pc", str(raw)]) == 0
    assert capsys.readouterr().out.splitlines()[3] == "    3: mov %r0, %r1"
    try:
        import chamelio.ebpf.elf  # noqa: F401
    except ImportError:
        return
    assert main(["disasm", str(obj)]) == 0
    out = capsys.readouterr().out
    assert "# program prog" in out and "mov %r0, %r1" in out


def test_disasm_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = tmp_path / "odd.bin"
    odd.write_bytes(b"\x95\0\0\0\0\0\0\0\0\0")
    assert main(["disasm", str(odd)]) == 2
    assert "multiple of 8" in capsys.readouterr().err
    assert main(["disasm", str(tmp_path / "nope")]) == 2


# ------------------------------------------------------------------ bpftool
@pytest.fixture
def bpffs() -> Iterator[Path]:
    if shutil.which("bpftool") is None:
        pytest.skip("bpftool is not installed")
    if os.geteuid() != 0:
        pytest.skip("loading programs with bpftool needs root")
    root = Path("/sys/fs/bpf")
    mounts = Path("/proc/mounts").read_text().splitlines()
    mounted = any(line.split()[1:3] == [str(root), "bpf"] for line in mounts)
    if not mounted:
        done = subprocess.run(["mount", "-t", "bpf", "bpf", str(root)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount bpffs: {done.stderr.decode().strip()}")
    try:
        yield root
    finally:
        if not mounted:
            subprocess.run(["umount", str(root)], capture_output=True)


@pytest.mark.kernel
@pytest.mark.parametrize("text", [PROGRAM, WITH_CALL], ids=["plain", "local-call"])
def test_bpftool_loads_the_object(tmp_path: Path, bpffs: Path, text: str) -> None:
    code, obj = _asm(tmp_path, text, name="chm.s")
    assert code == 0
    pin = bpffs / f"chamelio_asm_{uuid.uuid4().hex[:12]}"
    try:
        load = subprocess.run(
            ["bpftool", "prog", "load", str(obj), str(pin), "type", "xdp"],
            capture_output=True, text=True,
        )  # fmt: skip
        if load.returncode != 0 and "Operation not permitted" in load.stderr:
            pytest.skip(f"bpf(2) refused: {load.stderr.strip()}")
        assert load.returncode == 0, load.stderr
        show = subprocess.run(
            ["bpftool", "prog", "show", "pinned", str(pin)], capture_output=True, text=True
        )
        assert "xdp" in show.stdout and "name chm" in show.stdout
    finally:
        pin.unlink(missing_ok=True)
