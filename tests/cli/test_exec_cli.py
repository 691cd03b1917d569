"""`chamelio exec`: inputs (ELF, assembly, .data, raw), the two ways to run, both engines,
exit codes 0/1/2 and the JSON shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chamelio.cli.cmd_asm import write_elf_object
from chamelio.cli.main import main
from chamelio.ebpf import isa
from chamelio.ebpf.asm import assemble

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
CONFORMANCE = SHARED / "bpf_conformance" / "tests"
SAMPLES = SHARED / "ebpf-samples"

XDP_SRC = """
ldxw %r2, [%r1]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, short
ldxb %r0, [%r2+13]
stb [%r2], 0xaa
exit
short:
mov %r0, 1
exit
"""
PACKET = bytes(range(20))


def exec_json(capsys, *args: str | Path) -> tuple[int, dict]:
    code = main(["exec", *map(str, args), "--json"])
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert len(lines) == 1, out  # exactly one JSON object
    return code, json.loads(lines[0])


@pytest.fixture
def xdp_asm(tmp_path: Path) -> Path:
    path = tmp_path / "prog.s"
    path.write_text(XDP_SRC)
    return path


def test_conformance_file_runs_with_its_own_memory(capsys):
    code, out = exec_json(capsys, CONFORMANCE / "ldxb.data")
    assert code == 0 and out == {"result": 0x11, "packet": None, "insns": 2}


def test_mem_overrides_and_r2_holds_the_length(capsys, tmp_path):
    prog = tmp_path / "len.asm"
    prog.write_text("mov %r0, %r2\nexit\n")
    code, out = exec_json(capsys, prog, "--mem", "00 01 02 0x03:04")
    assert code == 0 and out == {"result": 5, "packet": None, "insns": 2}


def test_result_is_unsigned_64_bit(capsys, tmp_path):
    prog = tmp_path / "neg.s"
    prog.write_text("mov %r0, -1\nexit\n")
    assert exec_json(capsys, prog)[1]["result"] == (1 << 64) - 1


def test_xdp_packet_run_prints_the_packet_after_the_run(capsys, xdp_asm):
    code, out = exec_json(capsys, xdp_asm, "--hook", "xdp", "--packet", PACKET.hex())
    assert code == 0
    assert out == {"result": 13, "packet": "aa" + PACKET[1:].hex(), "insns": 8}


def test_text_output(capsys, xdp_asm):
    assert main(["exec", str(xdp_asm), "--hook", "xdp", "--packet", PACKET.hex()]) == 0
    out = capsys.readouterr().out
    assert "result: 0xd (13)" in out and "insns: 8" in out and "packet: aa0102" in out


def test_trap_exits_1_with_an_error_object(capsys, tmp_path):
    prog = tmp_path / "oob.s"
    prog.write_text("ldxdw %r0, [%r10-520]\nexit\n")
    code, out = exec_json(capsys, prog)
    assert code == 1 and list(out) == ["error"]
    assert out["error"].startswith("pc 0: ldxdw %r0, [%r10-520]: load from 8 byte(s)")
    assert main(["exec", str(prog)]) == 1
    assert "pc 0" in capsys.readouterr().err


def test_instruction_limit_is_a_trap(capsys, tmp_path):
    prog = tmp_path / "loop.s"
    prog.write_text("loop:\nja loop\nexit\n")
    code, out = exec_json(capsys, prog, "--insn-limit", "100")
    assert code == 1 and "instruction limit of 100" in out["error"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--hook", "xdp", "--packet", "zz"], "--packet: not hex bytes"),
        (["--packet", "00"], "--packet needs --hook"),
        (["--hook", "xdp"], "--hook needs --packet"),
        (["--hook", "nope", "--packet", "00"], "unknown hook 'nope'"),
        (["--section", "xdp"], "--section applies to ELF objects only"),
        (["--insn-limit", "0"], "--insn-limit must be positive"),
    ],
)
def test_bad_input_exits_2(capsys, xdp_asm, args, needle):
    code, out = exec_json(capsys, xdp_asm, *args)
    assert code == 2 and needle in out["error"]


def test_unreadable_and_malformed_files_exit_2(capsys, tmp_path):
    assert exec_json(capsys, tmp_path / "missing.s")[0] == 2
    bad = tmp_path / "bad.s"
    bad.write_text("frobnicate %r0\n")
    code, out = exec_json(capsys, bad)
    assert code == 2 and "invalid mnemonic" in out["error"]
    odd = tmp_path / "odd.bin"
    odd.write_bytes(b"\0" * 7)
    assert exec_json(capsys, odd)[0] == 2
    invalid = tmp_path / "invalid.bin"
    invalid.write_bytes(bytes([0xFF]) + bytes(7))
    assert exec_json(capsys, invalid)[0] == 2


def test_raw_instruction_bytes(capsys, tmp_path):
    raw = tmp_path / "prog.bin"
    raw.write_bytes(isa.encode(assemble("mov %r0, 7\nexit")))
    assert exec_json(capsys, raw)[1]["result"] == 7


def test_elf_object_section_selection_and_hook_from_section(capsys, tmp_path):
    obj = tmp_path / "prog.o"
    obj.write_bytes(write_elf_object(assemble(XDP_SRC), section="xdp", symbol="prog"))
    code, out = exec_json(capsys, obj, "--packet", PACKET.hex())  # hook from SEC("xdp")
    assert code == 0 and out["result"] == 13
    code, out = exec_json(capsys, obj, "--section", "prog", "--packet", PACKET.hex())
    assert code == 0 and out["result"] == 13
    code, out = exec_json(capsys, obj, "--section", "nope", "--packet", PACKET.hex())
    assert code == 2 and "no program 'nope'" in out["error"]


def test_elf_with_several_programs_needs_section(capsys):
    path = SAMPLES / "prototype-kernel" / "xdp_vlan01_kern.o"
    if not path.exists():
        pytest.skip(f"sample object missing: {path}")
    code, out = exec_json(capsys, path, "--packet", PACKET.hex())
    assert code == 2 and "choose one with --section" in out["error"]
    code, out = exec_json(capsys, path, "--section", "xdp_vlan_change", "--packet", PACKET.hex())
    assert code == 0 and out["insns"] > 0


def test_help_describes_the_command():
    proc = subprocess.run([sys.executable, "-m", "chamelio.cli.main", "exec", "--help"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0
    for word in ("--mem HEX", "--packet HEX", "--engine {interp,kernel}", "--json", "Exit status"):
        assert word in proc.stdout, word


def test_entry_point_exit_codes(tmp_path):
    prog = tmp_path / "p.s"
    prog.write_text("ldxb %r0, [%r1+1]\nexit\n")
    ok = subprocess.run([sys.executable, "-m", "chamelio.cli.main", "exec", str(prog), "--mem",
                         "0102", "--json"], capture_output=True, text=True, check=False)  # fmt: skip
    assert ok.returncode == 0 and json.loads(ok.stdout)["result"] == 2
    trapped = subprocess.run([sys.executable, "-m", "chamelio.cli.main", "exec", str(prog), "--mem",
                              "01"], capture_output=True, text=True, check=False)  # fmt: skip
    assert trapped.returncode == 1 and "Traceback" not in trapped.stderr


# --------------------------------------------------------------------- kernel engine
def test_kernel_engine_agrees_on_an_xdp_packet(capsys, kernel, xdp_asm):
    ours = exec_json(capsys, xdp_asm, "--hook", "xdp", "--packet", PACKET.hex())[1]
    code, theirs = exec_json(capsys, xdp_asm, "--hook", "xdp", "--packet", PACKET.hex(),
                             "--engine", "kernel")  # fmt: skip
    assert code == 0 and theirs == {"result": ours["result"], "packet": ours["packet"], "insns": None}


def test_kernel_engine_runs_the_conformance_way(capsys, kernel, tmp_path):
    prog = tmp_path / "p.s"
    prog.write_text("mov %r0, %r2\nlsh %r0, 4\nexit\n")
    code, out = exec_json(capsys, prog, "--mem", "010203", "--engine", "kernel")
    assert code == 0 and out == {"result": 0x30, "packet": None, "insns": None}


def test_kernel_engine_refusal_is_bad_input(capsys, kernel, tmp_path):
    prog = tmp_path / "p.s"
    prog.write_text("ldxdw %r0, [%r10-520]\nexit\n")  # below the stack
    code, out = exec_json(capsys, prog, "--engine", "kernel")
    assert code == 2 and "refused" in out["error"]
    code, out = exec_json(capsys, prog, "--hook", "rx", "--packet", "00", "--engine", "kernel")
    assert code == 2 and "the kernel has no hook 'chamelio/rx'" in out["error"]


def test_kernel_engine_with_elf_maps(capsys, kernel):
    path = SAMPLES / "prototype-kernel" / "xdp_ddos01_blacklist_kern.o"
    if not path.exists():
        pytest.skip(f"sample object missing: {path}")
    eth = bytes(12) + b"\x08\x00"
    ip = bytes([0x45, 0, 0, 40, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2])
    packet = (eth + ip + bytes(20)).hex()
    ours = exec_json(capsys, path, "--hook", "xdp", "--packet", packet)[1]
    theirs = exec_json(capsys, path, "--hook", "xdp", "--packet", packet, "--engine", "kernel")[1]
    assert ours["result"] == theirs["result"] == 2 and ours["packet"] == theirs["packet"]
