"""The command line's last resorts and file handling: a bug is one line (exit 70), argparse
errors honour ``exec --json``, outputs are written so that a failure loses nothing."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
from pathlib import Path

import pytest

from chamelio.cli import cmd_disasm, cmd_exec
from chamelio.cli.files import decode_text, read_input, write_output
from chamelio.cli.main import main
from chamelio.ebpf import isa
from chamelio.ebpf.asm import assemble
from chamelio.errors import ChamelioError
from tests.cli import badinputs as bi

PROGRAM = "mov %r0, 2\nexit\n"


def _boom(args: argparse.Namespace) -> int:
    raise RuntimeError("boom")


def _main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> bi.Run:
    """``main`` as the command runs it (bi.run_in_process sets CHAMELIO_TRACEBACK=1)."""
    code = main(argv)
    out, err = capsys.readouterr()
    return bi.Run(code, out, err)


@pytest.fixture
def prog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CHAMELIO_TRACEBACK", raising=False)
    path = tmp_path / "prog.s"
    path.write_text(PROGRAM)
    return path


# ---------------------------------------------------------------------- internal errors
def test_a_bug_is_one_line_and_exit_70(
    prog: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cmd_disasm, "run", _boom)
    run = _main(["disasm", str(prog)], capsys)
    assert run.code == 70 and "Traceback" not in run.err, run
    first = run.err.splitlines()[0]
    assert first == ("chamelio disasm: internal error: RuntimeError: boom "
                     "(this is a bug; please report it)"), run.err  # fmt: skip
    assert "CHAMELIO_TRACEBACK" in run.err


def test_a_bug_under_json_is_one_json_object(
    prog: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cmd_exec, "run", _boom)
    run = _main(["exec", str(prog), "--json"], capsys)
    assert run.code == 70 and not run.err, run
    assert "internal error: RuntimeError: boom" in json.loads(run.out)["error"]


def test_chamelio_debug_shows_the_traceback(prog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cmd_disasm, "run", _boom)
    monkeypatch.setenv("CHAMELIO_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="boom"):
        main(["disasm", str(prog)])


# ---------------------------------------------------------------------- argparse errors
@pytest.mark.parametrize(
    "argv,word",
    [
        (["exec", "prog.s", "--json", "--bogus"], "--bogus"),
        (["exec", "prog.s", "--js", "--engine", "jit"], "jit"),  # an abbreviation of --json
        (["exec", "--insn-limit", "many", "prog.s", "--json"], "many"),
        (["exec", "", "--json"], "empty"),
    ],
)
def test_exec_json_usage_errors_are_json(prog: Path, argv: list[str], word: str) -> None:
    run = bi.run_in_process(argv)
    assert run.code == 2 and not run.err, run
    assert word in json.loads(run.out)["error"]


def test_usage_errors_without_json_name_the_subcommand(prog: Path) -> None:
    run = bi.run_in_process(["exec", "prog.s", "--bogus"])
    assert run.code == 2 and not run.out, run
    assert "usage: chamelio exec" in run.err
    assert "chamelio exec: error: unrecognized arguments: --bogus" in run.err
    run = bi.run_in_process(["exec", "prog.s", "--", "--json", "extra"])  # after --: no JSON
    assert run.code == 2 and not run.out and "unrecognized arguments" in run.err, run


@pytest.mark.parametrize("command", ["asm", "disasm", "exec"])
def test_an_empty_file_name_is_refused(prog: Path, command: str) -> None:
    run = bi.run_in_process([command, ""])
    assert run.code == 2 and "the file name is empty" in run.err, run


# ---------------------------------------------------------------------- inputs
def test_decode_errors_name_line_and_column() -> None:
    with pytest.raises(ChamelioError, match=r"^f\.s:2:3: not UTF-8 text \(byte 0xff\)"):
        decode_text(b"exit\nab\xffc\n", "f.s")
    assert decode_text(b"\xef\xbb\xbfexit\n", "f.s") == "exit\n"  # a BOM is dropped


def test_oversized_inputs_are_refused_without_reading_them_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(3 << 20))
    assert len(read_input(path, limit=4 << 20)) == 3 << 20
    with pytest.raises(ChamelioError, match="more than 2 MiB"):
        read_input(path, limit=2 << 20)


# ---------------------------------------------------------------------- outputs
def test_output_through_a_symlink_to_the_input_is_refused(prog: Path) -> None:
    (prog.parent / "alias.o").symlink_to(prog)
    run = bi.run_in_process(["asm", "prog.s", "-o", "alias.o"])
    assert run.code == 2 and "is the input file" in run.err, run
    assert prog.read_text() == PROGRAM


def test_write_output_keeps_mode_and_symlinks(tmp_path: Path) -> None:
    target = tmp_path / "target.o"
    target.write_bytes(b"old")
    target.chmod(0o640)
    link = tmp_path / "link.o"
    link.symlink_to(target)
    write_output(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.o", "target.o"]  # no temp left


def test_a_failed_write_leaves_the_existing_output_intact(prog: Path) -> None:
    """RLIMIT_FSIZE makes the write fail half way (Python ignores SIGXFSZ: EFBIG)."""
    existing = prog.parent / "existing.o"
    existing.write_bytes(b"keep me\n")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))

    proc = subprocess.run([*bi.cli_command(), "asm", "prog.s", "-o", "existing.o"],
                          cwd=prog.parent, capture_output=True, text=True, preexec_fn=limit,
                          timeout=60)  # fmt: skip
    assert proc.returncode == 2, proc
    assert "chamelio asm: error: cannot write existing.o: File too large" in proc.stderr
    assert existing.read_bytes() == b"keep me\n"
    assert sorted(p.name for p in prog.parent.iterdir()) == ["existing.o", "prog.s"]


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    code = tmp_path / "long.bin"
    code.write_bytes(isa.encode(assemble("mov %r0, 1\n" * 20000 + "exit\n")))
    proc = subprocess.Popen([*bi.cli_command(), "disasm", str(code)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "CHAMELIO_TRACEBACK": ""})  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10) == b"mov %r0, 1"
    proc.stdout.close()  # the output (> 64 KiB of pipe buffer) cannot all have been written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert err == "", err


def test_an_assembly_file_that_is_not_text_says_so(prog: Path) -> None:
    (prog.parent / "bad.s").write_bytes(b"mov %r0, 2\n\xff\nexit\n")
    run = bi.run_in_process(["disasm", "bad.s"])
    assert run.code == 2 and "bad.s:2:1: not UTF-8 text" in run.err, run
    (prog.parent / "code.s").write_bytes(isa.encode(assemble(PROGRAM)))  # bytes, NULs and all
    run = bi.run_in_process(["disasm", "code.s"])
    assert run.code == 0 and run.out == PROGRAM, run
