"""The bad-input corpus of ``test_bad_input.py``: files, ELF corruptions and runners.

``make_corpus(dir)`` writes every bad (and a few good) input file into ``dir``; the cases in
the test module name them relative to it. ELF inputs are derived from real objects in
/work/shared/ebpf-samples, read in place and never copied into the repository.
``run_in_process`` calls ``chamelio.cli.main.main`` with its output captured (fast);
``run_subprocess`` runs the installed ``chamelio`` command (the real process boundary).
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import resource
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / ".." / "shared"
SAMPLES = SHARED / "ebpf-samples"
NEGATIVE = SHARED / "bpf_conformance" / "negative"
# Small, varied real objects: maps + relocations, bpf-to-bpf calls, global data, BTF.
ELF_SEEDS = ("build/twomaps.o", "build/bpf2bpf.o", "build/global_variable.o",
             "build/twomaps_btf.o", "suricata/filter.o")  # fmt: skip
TWOMAPS = SAMPLES / "build" / "twomaps.o"
NOT_UTF8 = os.fsdecode(b"\xff")  # what argv holds for a byte that is not UTF-8

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_EHDR_BITS = (0, 16, 16, 32, 64, 64, 64, 32, 16, 16, 16, 16, 16, 16)  # e_ident is not a number
_SHDR = struct.Struct("<IIQQQQIIQQ")


@dataclass
class Run:
    """What one command run left behind."""

    code: int
    out: str
    err: str


# ---------------------------------------------------------------------- runners
def run_in_process(
    argv: Sequence[str], entry: Callable[[list[str]], int] | None = None
) -> Run:
    """``main(argv)`` with stdout and stderr captured.

    ``SystemExit`` (argparse, or a handler module calling ``sys.exit``) becomes the exit code;
    any other exception propagates (CHAMELIO_TRACEBACK=1 keeps ``main``'s last-resort handler
    from turning it into "internal error"), so the calling test fails with its traceback."""
    from chamelio.cli.main import main

    run = entry or main
    out, err = io.StringIO(), io.StringIO()
    debug = os.environ.get("CHAMELIO_TRACEBACK")
    os.environ["CHAMELIO_TRACEBACK"] = "1"
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = run(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if not isinstance(exc.code, int | None):
                print(exc.code, file=sys.stderr)
        finally:
            if debug is None:
                del os.environ["CHAMELIO_TRACEBACK"]
            else:
                os.environ["CHAMELIO_TRACEBACK"] = debug
    return Run(code, out.getvalue(), err.getvalue())


def cli_command() -> list[str]:
    """The installed ``chamelio`` script next to this interpreter, else ``python -m``."""
    script = Path(sys.executable).parent / "chamelio"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "chamelio.cli.main"]


def demo_command() -> list[str]:
    return [sys.executable, "-m", "chamelio.demo"]


def run_subprocess(
    argv: Sequence[str | bytes],
    cwd: Path,
    *,
    command: Sequence[str] | None = None,
    stdin: bytes = b"",
    memory_limit: int | None = None,
    timeout: float = 60,
) -> Run:
    """Run ``chamelio ARGV`` (or ``command ARGV``) in ``cwd``; ``memory_limit`` caps the
    child's address space (RLIMIT_AS, bytes) so a runaway allocation fails fast."""

    def limit() -> None:
        if memory_limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))

    env = {k: v for k, v in os.environ.items() if k != "CHAMELIO_TRACEBACK"}  # what users see
    proc = subprocess.run(
        [*(command or cli_command()), *argv], cwd=cwd, input=stdin, capture_output=True,
        timeout=timeout, env=env, preexec_fn=limit if memory_limit is not None else None,
    )  # fmt: skip
    decode = lambda b: b.decode("utf-8", "backslashreplace")  # noqa: E731
    return Run(proc.returncode, decode(proc.stdout), decode(proc.stderr))


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every regular file under ``directory`` (but __pycache__) with its content."""
    files: dict[str, bytes] = {}
    for path in sorted(directory.rglob("*")):
        if "__pycache__" in path.parts or path.is_symlink() or not path.is_file():
            continue
        files[str(path.relative_to(directory))] = path.read_bytes()
    return files


# ---------------------------------------------------------------------- ELF corruption
def elf_header(data: bytes) -> list[int | bytes]:
    return list(_EHDR.unpack_from(data))


def with_header_field(data: bytes, index: int, value: int) -> bytes:
    """``data`` with ELF header field ``index`` (of ``_EHDR``) set to ``value`` (masked)."""
    fields = elf_header(data)
    bits = _EHDR_BITS[index]
    fields[index] = value & ((1 << bits) - 1)
    return _EHDR.pack(*fields) + data[_EHDR.size :]


def with_section_field(data: bytes, section: int, index: int, value: int) -> bytes:
    """``data`` with field ``index`` of section header ``section`` set to ``value``."""
    shoff = int(elf_header(data)[6])
    base = shoff + section * _SHDR.size
    fields = list(_SHDR.unpack_from(data, base))
    bits = 32 if index in (0, 1, 6, 7) else 64
    fields[index] = value & ((1 << bits) - 1)
    out = bytearray(data)
    out[base : base + _SHDR.size] = _SHDR.pack(*fields)
    return bytes(out)


def section_count(data: bytes) -> int:
    return int(elf_header(data)[12])


def elf_corruptions(
    data: bytes, seed: int = 0, sections_limit: int = 1 << 16
) -> Iterator[tuple[str, bytes]]:
    """Deterministic damaged variants of one ELF object, each named for what was done
    (section headers: the first ``sections_limit`` sections)."""
    for n in sorted({4, 16, 63, 64, 65, len(data) // 3, len(data) // 2, len(data) - 8,
                     len(data) - 1}):  # fmt: skip
        yield f"truncated-{n}", data[:n]
    for index in (1, 2, 3, 6, 8, 11, 12, 13):  # type .. shstrndx (EI_* bytes below)
        for value in (0, 1, 0xFFFF, 2**63 - 1):
            yield f"ehdr{index}={value:#x}", with_header_field(data, index, value)
    for offset, value in ((4, 1), (4, 7), (5, 2), (5, 0), (6, 9)):  # class, data, version
        changed = bytearray(data)
        changed[offset] = value
        yield f"ident{offset}={value}", bytes(changed)
    for section in range(1, min(section_count(data), sections_limit + 1)):
        for index in (1, 4, 5, 6, 7, 9):  # type, offset, size, link, info, entsize
            for value in (0xFFFFFFFF, 2**63 + 5):
                yield f"shdr{section}.{index}={value:#x}", with_section_field(
                    data, section, index, value
                )
    rng = random.Random(seed)
    for n in range(16):
        flipped = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        yield f"bitflip-{n}", bytes(flipped)


# ---------------------------------------------------------------------- the corpus files
HANDLER_HEAD = "from chamelio.lang import ArrayMap, XdpCtx, u32, u64\n\n\n"
OK_HANDLER = HANDLER_HEAD + "def handler(ctx: XdpCtx) -> u32:\n    return u32(2)\n"


def _handler(body: str, head: str = HANDLER_HEAD) -> str:
    return head + "def handler(ctx: XdpCtx) -> u32:\n" + body


def _deep_expression(terms: int) -> str:
    total = " + ".join(["x"] * terms)
    return _handler(f"    x = u32(ctx.rx_queue_index)\n    y = {total}\n"
                    "    return u32(2) if y == u32(0) else u32(1)\n")  # fmt: skip


def _call_chain(depth: int) -> str:
    parts = [HANDLER_HEAD, "def f0(x: u32) -> u32:\n    return x\n\n\n"]
    for i in range(1, depth):
        parts.append(f"def f{i}(x: u32) -> u32:\n    return f{i - 1}(x) + u32(1)\n\n\n")
    parts.append(f"def handler(ctx: XdpCtx) -> u32:\n    return u32(2) if f{depth - 1}(u32(0)) "
                 "== u32(0) else u32(1)\n")  # fmt: skip
    return "".join(parts)


UNSUPPORTED = {  # handler bodies chamelio.lang rejects, and a word of the message
    "list": ("    return u32(len([1, 2]))\n", "list"),
    "try": ("    try:\n        return u32(1)\n    except Exception:\n        return u32(2)\n", "try"),
    "while-true": ("    x = u32(0)\n    while True:\n        x += 1\n    return x\n", "while"),
    "str": ("    s = 'abc'\n    return u32(2)\n", "str"),
    "float": ("    return u32(1.5)\n", "float"),
    "lambda": ("    f = lambda x: x\n    return u32(f(1))\n", "lambda"),
    "recursion": ("    return handler(ctx)\n", "recurs"),
    "huge-literal": ("    return u32(123456789012345678901234567890)\n", "64 bits"),
    "bad-verdict": ("    return u32(99)\n", "xdp"),
    "no-return": ("    pass\n", "return"),
    "undefined-name": ("    return nowhere\n", "nowhere"),
    "unknown-field": ("    return ctx.no_such_field\n", "no_such_field"),
}

TEXT_FILES: dict[str, str] = {
    "prog.s": "mov %r0, 2\nexit\n",
    "trap.s": "ldxb %r0, [%r1]\nexit\n",
    "loop.s": "mov %r0, 0\nloop:\nja loop\n",
    "outjump.s": "ja +1000\nexit\n",
    "noexit.s": "mov %r0, 1\n",
    "callself.s": "call local f\nexit\nf:\ncall local f\nexit\n",
    "badmnemonic.s": "mov %r0, 1\nldxq %r0, %r1\n",
    "hugeimm.s": "mov %r0, 99999999999999999999999999\nexit\n",
    "negimm.s": "mov %r0, -99999999999999999999999999\nexit\n",
    "hugeoff.s": "ldxw %r0, [%r1+99999999999999]\nexit\n",
    "farjump.s": "ja +100000\nexit\n",
    "badlabel.s": "ja nowhere\nexit\n",
    "empty.s": "",
    "blank.s": "\n# only a comment\n\n",
    "text.txt": "hello, world\n",
    "badmem.data": "-- asm\nexit\n-- mem\nzz\n",
    "badraw.data": "-- raw\n95 00\n",
    "nothing.data": "-- result\n0x1\n",
    "ok.py": OK_HANDLER,
    "empty.py": "",
    "syntax.py": "def handler(ctx:\n",
    "importerror.py": "import no_such_module_for_chamelio_tests\n",
    "raises.py": "raise RuntimeError('module-level failure')\n",
    "sysexit.py": "import sys\n\nsys.exit(3)\n",
    "nohandler.py": "x = 1\n",
    "twohandlers.py": OK_HANDLER + "\n\ndef other(ctx: XdpCtx) -> u32:\n    return u32(2)\n",
    "deepexpr.py": _deep_expression(1000),
    "callchain.py": _call_chain(100),
    "hugemap.py": HANDLER_HEAD + "table = ArrayMap(value=u64, max_entries=2**40)\n\n\n"
    "def handler(ctx: XdpCtx) -> u32:\n    return u32(2)\n",
    **{f"unsupported-{k}.py": _handler(body) for k, (body, _) in UNSUPPORTED.items()},
}
ELF_VARIANTS: dict[str, Callable[[bytes], bytes]] = {  # damaged copies of TWOMAPS
    "magic-only": lambda elf: elf[:4],
    "header-only": lambda elf: elf[:64],
    "half": lambda elf: elf[: len(elf) // 2],
    "big-endian": lambda elf: elf[:5] + b"\x02" + elf[6:],
    "32-bit": lambda elf: elf[:4] + b"\x01" + elf[5:],
    "x86-64": lambda elf: with_header_field(elf, 2, 62),
    "shoff-huge": lambda elf: with_header_field(elf, 6, 2**63),
    "shnum-huge": lambda elf: with_header_field(elf, 12, 0xFFFF),
    "shstrndx-out": lambda elf: with_header_field(elf, 13, 0xFFF0),
    "shentsize-0": lambda elf: with_header_field(elf, 11, 0),
}
LONG_NAME = "n" * 300  # longer than NAME_MAX (255)


def make_corpus(directory: Path) -> None:
    """Write the corpus into ``directory`` (see the module docstring)."""
    for name, text in TEXT_FILES.items():
        (directory / name).write_text(text)
    rng = random.Random(7)
    (directory / "garbage.bin").write_bytes(b"\xff\xfe" + rng.randbytes(98))  # not UTF-8, not 8k
    (directory / "nonutf8.s").write_bytes(b"mov %r0, 2\n\xff\xfe\nexit\n")
    (directory / "nonutf8.py").write_bytes(OK_HANDLER.encode() + b"# \xff\xfe\n")
    (directory / "nonutf8.data").write_bytes(b"-- asm\nmov %r0, 2\n\xff\nexit\n")
    for name in ("dir", "dir.s", "dir.py", "dir.o"):
        (directory / name).mkdir()
    (directory / "notadir").write_text("a file, not a directory\n")
    (directory / "dangling.s").symlink_to(directory / "no-such-target.s")
    elf = TWOMAPS.read_bytes()
    for name, damage in ELF_VARIANTS.items():
        (directory / f"elf-{name}.o").write_bytes(damage(elf))
    (directory / "existing.o").write_bytes(b"keep me\n")
