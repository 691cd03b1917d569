"""Bad input never produces a traceback: every `chamelio` command (asm, disasm, exec, compile,
verify, abi) and `python -m chamelio.demo`, on a corpus of bad inputs, exits with its
documented code (2 for bad input, 1 for an `exec` trap) and prints one clear
``chamelio CMD: error: ...`` message, and loses nothing: the working directory (sources, an
existing output file) is left exactly as it was.

The corpus (``badinputs.make_corpus``) runs in-process for speed; the cases marked ``sub``
run again as real processes. Conformance negatives, damaged ELF objects and fuzzing are in
``test_bad_input_fuzz.py``.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli import badinputs as bi
from tests.cli.badinputs import LONG_NAME, NOT_UTF8, SAMPLES, TWOMAPS, Run

MULTI = str(SAMPLES / "linux" / "xdp2skb_meta_kern.o")  # two programs
INVALID = SAMPLES / "invalid"
ERROR_HEAD = re.compile(r"^(chamelio(?: [a-z]+)?|demo|python -m chamelio\.demo): error: ")


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    code: int = 2
    expect: str = ""  # a piece of the message (case-insensitive)
    json: bool = False  # stdout must be exactly one JSON object {"error": ...}
    sub: bool = False  # run as a real process too
    kernel: bool = False
    demo: bool = False  # python -m chamelio.demo, not chamelio

    @property
    def progs(self) -> tuple[str, ...]:
        if self.demo:
            return ("demo", "python -m chamelio.demo")
        return (f"chamelio {self.argv[0]}", "chamelio")  # argparse: "unrecognized arguments"


def c(id: str, *argv: str, **kw: object) -> Case:
    return Case(id, argv, **kw)  # type: ignore[arg-type]


OUT = ("-o", "existing.o")  # an output that exists: a failed run must leave it alone
ASM = [
    c("missing", "asm", "no-such.s", *OUT, expect="no-such.s", sub=True),
    c("directory", "asm", "dir.s", *OUT, expect="dir.s"),
    c("not-a-directory", "asm", "notadir/x.s", *OUT, expect="notadir/x.s"),
    c("dangling-symlink", "asm", "dangling.s", *OUT, expect="dangling.s"),
    c("unreadable", "asm", "/proc/self/mem", *OUT, expect="/proc/self/mem"),
    c("name-too-long", "asm", LONG_NAME + ".s", *OUT),
    c("empty", "asm", "empty.s", *OUT, expect="no instructions"),
    c("only-comments", "asm", "blank.s", *OUT, expect="no instructions"),
    c("not-utf8", "asm", "nonutf8.s", *OUT, expect="nonutf8.s", sub=True),
    c("binary-garbage", "asm", "garbage.bin", *OUT, expect="garbage.bin"),
    c("not-assembly", "asm", "text.txt", *OUT, expect="text.txt:1"),
    c("elf-as-source", "asm", str(TWOMAPS), *OUT),
    c("bad-mnemonic", "asm", "badmnemonic.s", *OUT, expect="badmnemonic.s:2: invalid mnemonic"),
    c("huge-immediate", "asm", "hugeimm.s", *OUT, expect="out of range"),
    c("negative-huge-immediate", "asm", "negimm.s", *OUT, expect="out of range"),
    c("huge-offset", "asm", "hugeoff.s", *OUT, expect="out of range"),
    c("far-jump", "asm", "farjump.s", *OUT, expect="out of range"),
    c("undefined-label", "asm", "badlabel.s", *OUT, expect="nowhere"),
    c("output-dir-missing", "asm", "prog.s", "-o", "no/such/dir/x.o", expect="cannot write"),
    c("output-is-directory", "asm", "prog.s", "-o", "dir", expect="cannot write", sub=True),
    c("output-under-file", "asm", "prog.s", "-o", "notadir/x.o", expect="cannot write"),
    c("output-device-full", "asm", "prog.s", "-o", "/dev/full", expect="cannot write"),
    c("raw-output-device-full", "asm", "prog.s", "--raw", "-o", "/dev/full", expect="cannot write"),
    c("empty-section", "asm", "prog.s", "--section", "", *OUT, expect="section"),
    c("section-not-utf8", "asm", "prog.s", "--section", NOT_UTF8, *OUT, expect="section", sub=True),
    c("license-not-utf8", "asm", "prog.s", "--license", NOT_UTF8, *OUT, expect="license"),
    c("symbol-not-utf8", "asm", "prog.s", "--symbol", NOT_UTF8, *OUT, expect="symbol"),
    c("unknown-option", "asm", "prog.s", "--bogus", expect="--bogus"),
    c("no-input", "asm", expect="required"),
]
DISASM = [
    c("missing", "disasm", "no-such.o", expect="no-such.o", sub=True),
    c("directory", "disasm", "dir.o", expect="dir.o"),
    c("not-a-directory", "disasm", "notadir/x.o", expect="notadir/x.o"),
    c("dangling-symlink", "disasm", "dangling.s", expect="dangling.s"),
    c("unreadable", "disasm", "/proc/self/mem", expect="/proc/self/mem"),
    c("name-too-long", "disasm", LONG_NAME + ".o"),
    c("empty", "disasm", "empty.s", expect="empty.s"),
    c("binary-garbage", "disasm", "garbage.bin", expect="multiple of 8", sub=True),
    c("not-utf8-source", "disasm", "nonutf8.s"),
    c("bad-mnemonic", "disasm", "badmnemonic.s", expect="invalid mnemonic"),
    c("format-elf-on-text", "disasm", "prog.s", "--format", "elf", expect="not an ELF"),
    c("format-asm-on-binary", "disasm", "garbage.bin", "--format", "asm", expect="UTF-8"),
    c("unknown-format", "disasm", "prog.s", "--format", "pe", expect="--format"),
    c("unknown-program", "disasm", str(TWOMAPS), "--program", "nosuch", expect="nosuch"),
    c("program-on-non-elf", "disasm", "prog.s", "--program", "x", expect="--program"),
    c("undefined-function", "disasm", str(SAMPLES / "build" / "badrelo.o"), expect="undefined"),
    c("bad-symbol-size", "disasm", str(INVALID / "badsymsize.o"), expect="symtab"),
    c("cut-lddw", "disasm", str(INVALID / "invalid-lddw.o"), expect="lddw", sub=True),
    *(c(f"elf-{n}", "disasm", f"elf-{n}.o") for n in bi.ELF_VARIANTS),
]
EXEC = [
    c("missing", "exec", "no-such.o", expect="no-such.o", sub=True),
    c("directory", "exec", "dir.o", expect="dir.o"),
    c("dangling-symlink", "exec", "dangling.s", expect="dangling.s"),
    c("unreadable", "exec", "/proc/self/mem", expect="/proc/self/mem"),
    c("name-too-long", "exec", LONG_NAME + ".o"),
    c("empty", "exec", "empty.s", expect="no instructions"),
    c("only-comments", "exec", "blank.s", expect="no instructions"),
    c("binary-garbage", "exec", "garbage.bin", expect="8-byte", sub=True),
    c("not-utf8-source", "exec", "nonutf8.s", expect="nonutf8.s", sub=True),
    c("not-utf8-data", "exec", "nonutf8.data", expect="nonutf8.data"),
    c("not-assembly", "exec", "text.txt", expect="text.txt:1"),
    c("data-bad-mem", "exec", "badmem.data", expect="zz"),
    c("data-bad-raw", "exec", "badraw.data", expect="multiple of 8"),
    c("data-no-program", "exec", "nothing.data", expect="nothing.data"),
    c("bad-mnemonic", "exec", "badmnemonic.s", expect="invalid mnemonic"),
    c("trap-null-load", "exec", "trap.s", code=1, expect="null pointer", sub=True),
    c("trap-insn-limit", "exec", "loop.s", "--insn-limit", "100", code=1, expect="limit"),
    c("trap-jump-out", "exec", "outjump.s", code=1, expect="outside the program"),
    c("trap-no-exit", "exec", "noexit.s", code=1, expect="exit"),
    c("trap-call-depth", "exec", "callself.s", code=1, expect="depth"),
    c("mem-not-hex", "exec", "prog.s", "--mem", "zz", expect="--mem", sub=True),
    c("mem-odd-length", "exec", "prog.s", "--mem", "abc", expect="--mem"),
    c("mem-not-utf8", "exec", "prog.s", "--mem", NOT_UTF8, expect="--mem"),
    c("packet-not-hex", "exec", "prog.s", "--packet", "0g", "--hook", "xdp", expect="--packet"),
    c("packet-odd-length", "exec", "prog.s", "--packet", "001", "--hook", "xdp", expect="--packet"),
    c("packet-without-hook", "exec", "prog.s", "--packet", "00", expect="--hook"),
    c("unknown-hook", "exec", "prog.s", "--packet", "00", "--hook", "nosuch", expect="nosuch"),
    c("hook-without-packet", "exec", "prog.s", "--hook", "xdp", expect="--packet"),
    c("mem-and-packet", "exec", "prog.s", "--mem", "00", "--packet", "00", expect="--mem"),
    c("unknown-engine", "exec", "prog.s", "--engine", "jit", expect="--engine", sub=True),
    c("zero-insn-limit", "exec", "prog.s", "--insn-limit", "0", expect="--insn-limit"),
    c("negative-insn-limit", "exec", "prog.s", "--insn-limit", "-5", expect="--insn-limit"),
    c("float-insn-limit", "exec", "prog.s", "--insn-limit", "1e3", expect="--insn-limit"),
    c("section-on-non-elf", "exec", "prog.s", "--section", "xdp", expect="--section"),
    c("unknown-section", "exec", str(TWOMAPS), "--section", "nosuch", expect="nosuch"),
    c("several-programs", "exec", MULTI, expect="--section"),
    c("undefined-function", "exec", str(SAMPLES / "build" / "badrelo.o"), expect="undefined"),
    c("bad-symbol-size", "exec", str(INVALID / "badsymsize.o"), expect="symtab"),
    c("cut-lddw", "exec", str(INVALID / "invalid-lddw.o"), expect="lddw"),
    *(c(f"elf-{n}", "exec", f"elf-{n}.o") for n in bi.ELF_VARIANTS),
    c("json-missing", "exec", "no-such.o", "--json", json=True, expect="no-such.o", sub=True),
    c("json-garbage", "exec", "garbage.bin", "--json", json=True, expect="8-byte"),
    c("json-bad-elf", "exec", "elf-half.o", "--json", json=True),
    c("json-mem-not-hex", "exec", "prog.s", "--mem", "zz", "--json", json=True, expect="--mem"),
    c("json-unknown-hook", "exec", "prog.s", "--packet", "00", "--hook", "x", "--json", json=True),
    c("json-trap", "exec", "trap.s", "--json", code=1, json=True, expect="null pointer", sub=True),
    c("json-zero-insn-limit", "exec", "prog.s", "--insn-limit", "0", "--json", json=True),
    c("json-unknown-engine", "exec", "prog.s", "--engine", "jit", "--json", json=True),
    c("json-missing-file-arg", "exec", "--json", json=True),
    c("kernel-verifier-rejects", "exec", "trap.s", "--engine", "kernel", kernel=True,
      expect="refused", sub=True),
    c("kernel-json-verifier-rejects", "exec", "trap.s", "--engine", "kernel", "--json",
      kernel=True, json=True, expect="refused"),
    c("kernel-short-packet", "exec", "prog.s", "--engine", "kernel", "--packet", "00",
      "--hook", "xdp", kernel=True, expect="14 bytes"),
    c("kernel-no-such-hook", "exec", "prog.s", "--engine", "kernel", "--packet", "00" * 20,
      "--hook", "chamelio/rx", kernel=True, expect="chamelio/rx"),
]
COMPILE = [
    c("missing", "compile", "no-such.py", *OUT, expect="no-such.py", sub=True),
    c("directory", "compile", "dir.py", *OUT, expect="dir.py"),
    c("unreadable", "compile", "/proc/self/mem", *OUT, expect="/proc/self/mem"),
    c("name-too-long", "compile", LONG_NAME + ".py", *OUT, sub=True),
    c("not-python", "compile", "text.txt", *OUT, expect="text.txt"),
    c("binary-garbage", "compile", "garbage.bin", *OUT, expect="garbage.bin"),
    c("empty", "compile", "empty.py", *OUT, expect="no handler"),
    c("syntax-error", "compile", "syntax.py", *OUT, expect="syntax.py:1", sub=True),
    c("not-utf8", "compile", "nonutf8.py", *OUT),
    c("import-error", "compile", "importerror.py", *OUT, expect="no_such_module_for_chamelio"),
    c("raises-at-import", "compile", "raises.py", *OUT, expect="module-level failure"),
    c("sys-exit-at-import", "compile", "sysexit.py", *OUT, expect="sysexit.py", sub=True),
    c("no-handler", "compile", "nohandler.py", *OUT, expect="no handler"),
    c("two-handlers", "compile", "twohandlers.py", *OUT, expect="--entry"),
    *(c(f"unsupported-{k}", "compile", f"unsupported-{k}.py", *OUT, expect=word)
      for k, (_, word) in bi.UNSUPPORTED.items()),
    c("unsupported-with-debug", "compile", "unsupported-list.py", "--debug", *OUT, expect="list"),
    c("deep-expression", "compile", "deepexpr.py", *OUT, sub=True),
    c("long-call-chain", "compile", "callchain.py", *OUT),
    c("unknown-entry", "compile", "ok.py", "--entry", "nosuch", *OUT, expect="nosuch"),
    c("entry-not-utf8", "compile", "ok.py", "--entry", NOT_UTF8, *OUT),
    c("unknown-hook", "compile", "ok.py", "--hook", "nosuch", *OUT, expect="nosuch"),
    c("wrong-hook", "compile", "ok.py", "--hook", "chamelio/tx", *OUT, expect="hook"),
    c("unknown-cpu", "compile", "ok.py", "--cpu", "v9", *OUT, expect="--cpu"),
    c("unknown-emit", "compile", "ok.py", "--emit", "exe", *OUT, expect="--emit"),
    c("native-object", "compile", "ok.py", "--target", "native", *OUT, expect="native"),
    c("output-dir-missing", "compile", "ok.py", "-o", "no/such/x.o", expect="cannot write"),
    c("output-is-directory", "compile", "ok.py", "-o", "dir", expect="cannot write"),
    c("output-device-full", "compile", "ok.py", "-o", "/dev/full", expect="cannot write"),
    c("llvm-output-device-full", "compile", "ok.py", "--emit", "llvm", "-o", "/dev/full",
      expect="cannot write"),
    c("llvm-output-dir-missing", "compile", "ok.py", "--emit", "asm", "-o", "no/such/x.s",
      expect="cannot write"),
]
VERIFY = [  # exit 1 is a rejection (a verdict); bad input is 2, with --json too (on stderr)
    c("missing", "verify", "no-such.o", expect="no-such.o", sub=True),
    c("directory", "verify", "dir.o", expect="dir.o"),
    c("unreadable", "verify", "/proc/self/mem", expect="/proc/self/mem"),
    c("name-too-long", "verify", LONG_NAME + ".o"),
    c("empty", "verify", "empty.s"),
    c("binary-garbage", "verify", "garbage.bin", expect="garbage.bin"),
    c("not-utf8-source", "verify", "nonutf8.s", expect="nonutf8.s", sub=True),
    c("not-assembly", "verify", "text.txt", expect="text.txt:1"),
    c("bad-mnemonic", "verify", "badmnemonic.s", expect="invalid mnemonic"),
    c("syntax-error", "verify", "syntax.py", expect="syntax.py:1"),
    c("import-error", "verify", "importerror.py", expect="no_such_module_for_chamelio"),
    c("sys-exit-at-import", "verify", "sysexit.py", expect="sysexit.py"),
    c("unsupported", "verify", "unsupported-list.py", expect="list"),
    c("unknown-entry", "verify", "ok.py", "--entry", "nosuch", expect="nosuch"),
    c("unknown-profile", "verify", "prog.s", "--profile", "nosuch", expect="nosuch"),
    c("zero-budget", "verify", "prog.s", "--budget", "0", expect="--budget"),
    c("negative-budget", "verify", "prog.s", "--budget", "-5", expect="--budget"),
    c("text-budget", "verify", "prog.s", "--budget", "lots", expect="--budget"),
    c("section-on-assembly", "verify", "prog.s", "--section", "xdp", expect="--section"),
    c("unknown-section", "verify", str(TWOMAPS), "--section", "nosuch", expect="nosuch"),
    c("json-several-programs", "verify", MULTI, "--json", expect="--section"),
    c("json-missing", "verify", "no-such.o", "--json", expect="no-such.o"),
    c("undefined-function", "verify", str(SAMPLES / "build" / "badrelo.o"), expect="undefined"),
    c("bad-symbol-size", "verify", str(INVALID / "badsymsize.o"), expect="symtab"),
    *(c(f"elf-{n}", "verify", f"elf-{n}.o") for n in bi.ELF_VARIANTS),
]
ABI = [
    c("output-dir-missing", "abi", "--c-header", "-o", "no/such/chamelio.h", expect="cannot write"),
    c("output-is-directory", "abi", "--c-header", "-o", "dir", expect="cannot write"),
    c("output-device-full", "abi", "--c-header", "-o", "/dev/full", expect="cannot write"),
    c("output-without-header", "abi", "-o", "x.h", expect="--c-header"),
    c("unknown-option", "abi", "--bogus", expect="--bogus", sub=True),
]
DEMO = [
    c("missing", "no-such.py", demo=True, expect="no-such.py"),
    c("directory", "dir.py", demo=True, expect="dir.py"),
    c("name-too-long", LONG_NAME + ".py", demo=True),
    c("syntax-error", "syntax.py", demo=True, expect="syntax.py", sub=True),
    c("not-utf8", "nonutf8.py", demo=True, expect="nonutf8.py"),
    c("import-error", "importerror.py", demo=True, expect="no_such_module_for_chamelio"),
    c("raises-at-import", "raises.py", demo=True, expect="module-level failure"),
    c("no-handler", "nohandler.py", demo=True, expect="--entry"),
    c("unknown-entry", "ok.py", "--entry", "nosuch", demo=True, expect="nosuch"),
    c("unsupported", "unsupported-list.py", demo=True, expect="list"),
    c("unknown-option", "--bogus", demo=True, expect="--bogus"),
]


def _marks(case: Case) -> list[pytest.MarkDecorator]:
    return [pytest.mark.kernel] if case.kernel else []


GROUPS = {"asm": ASM, "disasm": DISASM, "exec": EXEC, "compile": COMPILE, "verify": VERIFY,
          "abi": ABI, "demo": DEMO}  # fmt: skip
CASES = [pytest.param(case, id=f"{g}-{case.id}", marks=_marks(case))
         for g, group in GROUPS.items() for case in group]  # fmt: skip
SUB_CASES = [pytest.param(case, id=f"{g}-{case.id}", marks=_marks(case))
             for g, group in GROUPS.items() for case in group if case.sub]  # fmt: skip


# ---------------------------------------------------------------------- checks
def check(run: Run, case: Case) -> None:
    """The exit code, one clear error message (or one JSON object), no traceback."""
    context = f"exit {run.code}\n--- stdout\n{run.out[-3000:]}\n--- stderr\n{run.err[-3000:]}"
    assert "Traceback" not in run.out + run.err, context
    assert "Exception ignored" not in run.err, context
    assert "internal error" not in run.out + run.err, context
    assert run.code == case.code, context
    if case.json:
        try:
            obj = json.loads(run.out)
        except ValueError:
            pytest.fail(f"stdout is not exactly one JSON object\n{context}")
        assert isinstance(obj, dict) and isinstance(obj.get("error"), str), context
        message = obj["error"]
    else:
        heads = [line for line in run.err.splitlines() if ERROR_HEAD.match(line)]
        assert len(heads) == 1, f"expected one error line\n{context}"
        prog = heads[0].partition(": error: ")[0]
        assert prog in case.progs, context
        message = run.err[run.err.index(heads[0]) + len(prog) + len(": error: ") :]
    assert message.strip(), f"empty error message\n{context}"
    assert case.expect.lower() in message.lower(), context


def run_case(case: Case) -> Run:
    if case.demo:
        from chamelio import demo

        return bi.run_in_process(case.argv, entry=demo.main)
    return bi.run_in_process(case.argv)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("corpus")
    bi.make_corpus(directory)
    return directory


@pytest.fixture
def work(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The corpus as the working directory; rebuilt after a test that changed it."""
    monkeypatch.chdir(corpus)
    before = bi.snapshot(corpus)
    yield corpus
    if bi.snapshot(corpus) != before:
        shutil.rmtree(corpus)
        corpus.mkdir()
        bi.make_corpus(corpus)


# ---------------------------------------------------------------------- the corpus
@pytest.mark.parametrize("case", CASES)
def test_bad_input_in_process(case: Case, work: Path) -> None:
    before = bi.snapshot(work)
    check(run_case(case), case)
    assert bi.snapshot(work) == before, "a failed run changed the working directory"


@pytest.mark.parametrize("case", SUB_CASES)
def test_bad_input_as_a_process(case: Case, work: Path) -> None:
    before = bi.snapshot(work)
    command = bi.demo_command() if case.demo else None
    check(bi.run_subprocess(case.argv, work, command=command), case)
    assert bi.snapshot(work) == before, "a failed run changed the working directory"


ACCEPTED = {  # odd but valid: these run (exit 0)
    "huge-insn-limit": ["exec", "prog.s", "--insn-limit", "9" * 30],
    "empty-mem": ["exec", "prog.s", "--mem", ""],
    "mem-with-separators": ["exec", "prog.s", "--mem", "0x01:02, 03 04"],
    "big-packet": ["exec", "prog.s", "--packet", "00" * 65536, "--hook", "xdp"],
    "jump-out-assembles": ["asm", "outjump.s", "-o", "/dev/null"],
}


@pytest.mark.parametrize("argv", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_odd_but_valid_input_runs(argv: list[str], work: Path) -> None:
    run = bi.run_in_process(argv)
    assert run.code == 0 and "Traceback" not in run.err, run
    assert "error" not in run.err, run


def test_asm_stdin_needs_an_output(work: Path) -> None:
    run = bi.run_subprocess(["asm", "-"], work, stdin=b"mov %r0, 2\nexit\n")
    check(run, c("stdin", "asm", expect="-o"))


def test_asm_stdin_not_utf8(work: Path) -> None:
    run = bi.run_subprocess(["asm", "-", *OUT], work, stdin=b"mov %r0, 2\n\xff\nexit\n")
    check(run, c("stdin", "asm", expect="stdin"))
    assert (work / "existing.o").read_bytes() == b"keep me\n"


def test_handler_allocating_a_huge_map_gets_a_clear_error(work: Path) -> None:
    """``ArrayMap(max_entries=2**40)`` (beyond the kernel's u32) must be refused, not
    allocated: the child's address space is capped so that an attempt fails fast."""
    run = bi.run_subprocess(["compile", "hugemap.py", *OUT], work, memory_limit=512 << 20)
    check(run, c("hugemap", "compile", expect="max_entries"))
    assert "MemoryError" not in run.err


# ---------------------------------------------------------------------- loses nothing
OVERWRITES: list[tuple[str, Callable[[Path], list[str]]]] = [
    ("asm-default-output-is-the-input", lambda w: ["asm", "src.o"]),
    ("asm-raw-default-output-is-the-input", lambda w: ["asm", "src.bin", "--raw"]),
    ("asm-output-is-the-input", lambda w: ["asm", "src.s", "-o", "src.s"]),
    ("asm-output-is-the-input-by-another-name", lambda w: ["asm", "src.s", "-o", str(w / "src.s")]),
    ("compile-output-is-the-input", lambda w: ["compile", "ok.py", "-o", "ok.py"]),
]


@pytest.mark.parametrize("name,argv", OVERWRITES, ids=[n for n, _ in OVERWRITES])
def test_output_never_overwrites_the_input(
    name: str, argv: Callable[[Path], list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for n in ("src.o", "src.bin", "src.s"):
        (tmp_path / n).write_text(bi.TEXT_FILES["prog.s"])
    (tmp_path / "ok.py").write_text(bi.OK_HANDLER)
    before = bi.snapshot(tmp_path)
    args = argv(tmp_path)
    check(bi.run_in_process(args), c(name, *args, expect="input"))
    assert bi.snapshot(tmp_path) == before


# ---------------------------------------------------------------------- help
OPTIONS = {
    "asm": ("-o", "--output", "--raw", "--section", "--license", "--symbol"),
    "disasm": ("--format", "--labels", "--pc", "--program"),
    "exec": ("--section", "--mem", "--packet", "--hook", "--engine", "--insn-limit", "--json"),
    "compile": ("-o", "--output", "--entry", "--hook", "--emit", "--cpu", "--target", "--debug"),
}


def _commands() -> tuple[str, ...]:
    from chamelio.cli.main import COMMANDS

    return COMMANDS


@pytest.mark.parametrize("command", _commands())
def test_help_mentions_every_option(command: str, tmp_path: Path) -> None:
    import argparse

    from chamelio.cli.main import build_parser

    run = bi.run_subprocess([command, "--help"], tmp_path)
    assert run.code == 0 and not run.err, run
    assert run.out.startswith(f"usage: chamelio {command}"), run.out
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    parser = sub.choices[command]
    declared = {s for a in parser._actions for s in a.option_strings}
    assert set(OPTIONS.get(command, ())) <= declared, "a documented option is gone"
    for action in parser._actions:
        for option in action.option_strings:
            assert re.search(rf"(^|[\s,\[]){re.escape(option)}\b", run.out), option
        assert action.help and action.help != argparse.SUPPRESS, action.option_strings


def test_top_level_help_and_errors(tmp_path: Path) -> None:
    run = bi.run_subprocess(["--help"], tmp_path)
    assert run.code == 0 and all(cmd in run.out for cmd in _commands()), run
    run = bi.run_subprocess(["frobnicate"], tmp_path)
    assert run.code == 2 and "Traceback" not in run.err
    assert re.search(r"^chamelio: error: .*frobnicate", run.err, re.M), run
    run = bi.run_in_process([])
    assert run.code == 2 and "usage: chamelio" in run.out + run.err, run
    run = bi.run_subprocess(["--help"], tmp_path, command=bi.demo_command())
    assert run.code == 0 and "--entry" in run.out, run
