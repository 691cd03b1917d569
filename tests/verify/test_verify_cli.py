"""`chamelio verify`: every input kind (assembly, ELF, lang source, C via clang), the profile
each gets, --budget, several programs in one object, the exact JSON shape, the text report
and exit codes 0 (accepted), 1 (rejected) and 2 (bad input)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chamelio.cli.cmd_asm import write_elf_object
from chamelio.cli.main import main
from chamelio.ebpf.asm import assemble
from tests.verify.clang_build import REPO, compile_c, write_header

# Reads byte 13 of an XDP packet after proving 14 bytes are there; returns 0..1 or 2.
CHECKED = """\
ldxw %r2, [%r1]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, short
ldxb %r0, [%r2+13]
and %r0, 1
exit
short:
mov %r0, 2
exit
"""
# The same read without the bounds check.
UNCHECKED = """\
ldxw %r2, [%r1]
ldxb %r0, [%r2+13]
and %r0, 1
exit
"""
# A 4-byte load at ctx+20: xdp_md.egress_ifindex, but half of chamelio_ctx.flow (a pointer).
CTX_20 = """\
ldxw %r0, [%r1+20]
mov %r0, 2
exit
"""
TWO_PROGRAMS = """\
#include "chamelio.h"

SEC(SEC_XDP) int pass_all(struct xdp_md *ctx) { return ctx->ingress_ifindex ? XDP_PASS : XDP_PASS; }

SEC(SEC_CHAMELIO_RX) int punt_all(struct chamelio_ctx *ctx) { return ctx->pkt_len ? CHAMELIO_PUNT : CHAMELIO_DROP; }

LICENSE("GPL");
"""
EXPECTED_KEYS = {"accepted", "cost", "error"}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def verify_json(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, dict]:
    code = main(["verify", *map(str, args), "--json"])
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1, captured  # exactly one JSON object
    out = json.loads(lines[0])
    assert set(out) == EXPECTED_KEYS
    return code, out


def verify_text(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main(["verify", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_accepted_assembly(capsys, tmp_path):
    code, out = verify_json(capsys, write(tmp_path, "ok.s", CHECKED))
    assert code == 0
    assert out["accepted"] is True and out["error"] is None
    assert isinstance(out["cost"], int) and 8 <= out["cost"] <= 11  # longest path: 8 insns


def test_rejected_assembly_names_pc_and_source_line(capsys, tmp_path):
    code, out = verify_json(capsys, write(tmp_path, "bad.s", UNCHECKED))
    assert code == 1 and out["accepted"] is False
    error = out["error"]
    assert set(error) == {"pc", "message", "line"}
    assert error["pc"] == 1 and error["message"]
    assert error["line"] is not None and "ldxb %r0, [%r2+13]" in error["line"]


def test_text_report(capsys, tmp_path):
    code, out, _ = verify_text(capsys, write(tmp_path, "ok.s", CHECKED))
    assert code == 0 and "profile xdp" in out and "accept" in out.lower()
    code, out, _ = verify_text(capsys, write(tmp_path, "bad.s", UNCHECKED))
    assert code == 1 and "reject" in out.lower() and "[%r2+13]" in out


def test_budget_below_the_bound_rejects(capsys, tmp_path):
    prog = write(tmp_path, "ok.s", CHECKED)
    _, accepted = verify_json(capsys, prog)
    code, out = verify_json(capsys, prog, "--budget", accepted["cost"] - 1)
    assert code == 1 and out["accepted"] is False and "budget" in out["error"]["message"].lower()
    code, out = verify_json(capsys, prog, "--budget", accepted["cost"])
    assert code == 0 and out["accepted"] is True


def test_assembly_defaults_to_xdp_and_profile_changes_the_context(capsys, tmp_path):
    prog = write(tmp_path, "ctx20.asm", CTX_20)
    assert verify_json(capsys, prog)[0] == 0
    assert verify_json(capsys, prog, "--profile", "xdp")[0] == 0
    code, out = verify_json(capsys, prog, "--profile", "rx")
    assert code == 1 and out["error"]["pc"] == 0


def test_elf_section_selects_the_profile(capsys, tmp_path):
    """r0 = 100 is a fine socket filter (bytes to keep) but no XDP action."""
    insns = assemble("mov %r0, 100\nexit\n")
    obj = tmp_path / "sock.o"
    obj.write_bytes(write_elf_object(insns, section="socket", symbol="keep100"))
    code, text, _ = verify_text(capsys, obj)
    assert code == 0 and "keep100 (section socket), profile socket_filter" in text
    code, out = verify_json(capsys, obj, "--profile", "xdp")
    assert code == 1 and out["error"]["pc"] == 1


def test_lang_source_is_compiled_then_verified(capsys):
    code, out = verify_json(capsys, REPO / "examples" / "xdp_counter.py")
    assert code == 0 and out["accepted"] is True and out["cost"] > 0


@pytest.fixture(scope="module")
def two_programs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("two")
    write_header(d)
    (d / "two.c").write_text(TWO_PROGRAMS)
    return compile_c(d / "two.c", d / "two.o", d)


def test_several_programs_text_verifies_each(capsys, two_programs):
    code, out, _ = verify_text(capsys, two_programs)
    assert code == 0
    assert "pass_all (section xdp), profile xdp" in out
    assert "punt_all (section chamelio/rx), profile chamelio/rx" in out


def test_several_programs_json_needs_section(capsys, two_programs):
    code, text, err = verify_text(capsys, two_programs, "--json")
    assert code == 2 and text == "" and "--section" in err and "punt_all" in err
    code, result = verify_json(capsys, two_programs, "--section", "punt_all")
    assert code == 0 and result["accepted"] is True
    code, result = verify_json(capsys, two_programs, "--section", "chamelio/rx",
                               "--profile", "xdp")
    assert code == 1 and result["accepted"] is False  # chamelio_ctx.pkt_len is no xdp_md field


def test_a_program_without_a_hook_is_skipped_in_a_listing(capsys, tmp_path):
    write_header(tmp_path)
    source = TWO_PROGRAMS.replace("SEC(SEC_CHAMELIO_RX)", 'SEC("kprobe/x")')
    obj = compile_c(write(tmp_path, "k.c", source), tmp_path / "k.o", tmp_path)
    code, out, _ = verify_text(capsys, obj)
    assert code == 2 and "punt_all (section kprobe/x): skipped" in out and "profile xdp" in out
    code, out, err = verify_text(capsys, obj, "--section", "punt_all")
    assert code == 2 and "names no hook" in err and "--profile" in err


BAD = [
    (("missing.s",), "missing.s"),
    (("ok.s", "--profile", "nope"), "unknown hook"),
    (("ok.s", "--budget", "0"), "--budget must be positive"),
    (("ok.s", "--section", "xdp"), "--section"),
    (("ok.s", "--entry", "f"), "--entry"),
    (("garbage.bin",), "not an ELF object"),
    (("garbage.s",), "not UTF-8"),
    (("empty.s",), "no instructions"),
    (("syntax.s",), "syntax.s:1"),
    (("broken.py",), "broken.py:1"),
    (("prog.o", "--section", "nothere"), "nothere"),
    (("kprobe.o",), "names no hook"),
]


@pytest.mark.parametrize(("argv", "expect"), BAD, ids=[f"{n}-{a[0]}" for n, (a, _) in enumerate(BAD)])
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_bad_input_exits_2_with_one_clear_message(capsys, tmp_path, monkeypatch, argv, expect, as_json):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "ok.s", CHECKED)
    (tmp_path / "garbage.bin").write_bytes(b"\xff\x00\xfe" * 7)
    (tmp_path / "garbage.s").write_bytes(b"mov %r0, 1\n\xff\xfe\n")
    write(tmp_path, "empty.s", "# nothing\n")
    write(tmp_path, "syntax.s", "frobnicate %r0\n")
    write(tmp_path, "broken.py", "def f(:\n")
    insns = assemble(CHECKED)
    (tmp_path / "prog.o").write_bytes(write_elf_object(insns, section="xdp"))
    (tmp_path / "kprobe.o").write_bytes(write_elf_object(insns, section="kprobe/x"))
    code = main(["verify", *argv, *(["--json"] if as_json else [])])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.startswith("chamelio verify: error: ") and expect in captured.err
    assert "Traceback" not in captured.err


def test_real_process(tmp_path):
    prog = write(tmp_path, "bad.s", UNCHECKED)
    result = subprocess.run([sys.executable, "-m", "chamelio.cli.main", "verify", str(prog), "--json"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["accepted"] is False
