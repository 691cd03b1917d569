"""docs/lang.md is true of the code: every Python block in it runs and compiles.

Blocks fenced as ```` ```python ```` are modules (the page's prelude block first): importing one
runs its module-level asserts (plain-Python behaviour), then each handler in it is compiled to
eBPF and, for the ``xdp`` hook, loaded into the kernel's verifier. Blocks fenced as
```` ```python error ```` must fail to compile at the line marked ``# error: <message>``.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import subprocess
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

import chamelio.lang
from chamelio.ebpf.kernel import kernel_available
from chamelio.lang import compile_bpf
from chamelio.lang.compiler import LangCompileError
from chamelio.lang.runtime.context import Ctx

from .harness import EXAMPLES, REPO, KernelHandler
from .test_kernel import chamelio_cli

DOC = REPO / "docs" / "lang.md"
_FENCE = re.compile(r"^```python([^\n]*)\n(.*?)^```", re.M | re.S)


@dataclass(frozen=True)
class Block:
    kind: str  # "prelude" | "module" | "error"
    text: str
    line: int  # line of the fence in the doc

    @property
    def id(self) -> str:
        return f"{self.kind}-line{self.line}"


def blocks() -> list[Block]:
    doc = DOC.read_text()
    out = []
    for m in _FENCE.finditer(doc):
        tag = m[1].strip()
        kind = {"": "module", "prelude": "prelude", "error": "error"}[tag]
        out.append(Block(kind, m[2], doc.count("\n", 0, m.start()) + 1))
    return out


BLOCKS = blocks()
PRELUDE = next(b.text for b in BLOCKS if b.kind == "prelude")
_seq = iter(range(10**6))


def load(block: Block, tmp_path: Path) -> tuple[types.ModuleType, int]:
    """The block as a module file (prelude first); returns it and the prelude's line count."""
    path = tmp_path / f"lang_doc_{block.line}.py"
    path.write_text(PRELUDE + "\n" + block.text)
    name = f"lang_doc_block_{block.line}_{next(_seq)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module, PRELUDE.count("\n") + 1


def handlers(module: types.ModuleType) -> list[types.FunctionType]:
    out = []
    for fn in vars(module).values():
        if isinstance(fn, types.FunctionType) and fn.__module__ == module.__name__:
            params = list(inspect.signature(fn).parameters.values())
            ann = params[0].annotation if params else None
            if isinstance(ann, type) and issubclass(ann, Ctx):
                out.append(fn)
    return out


def test_the_doc_has_the_blocks_this_test_expects():
    kinds = [b.kind for b in BLOCKS]
    assert kinds.count("prelude") == 1
    assert kinds.count("module") >= 8 and kinds.count("error") >= 8


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.kind == "module"], ids=lambda b: b.id)
def test_module_blocks_run_compile_and_verify(block, tmp_path):
    module, _ = load(block, tmp_path)  # runs the block's asserts
    found = handlers(module)
    ok, reason = kernel_available()
    for fn in found:
        obj = compile_bpf(module, entry=fn.__name__)
        hook = fn.__annotations__[next(iter(inspect.signature(fn).parameters))]
        if hook is chamelio.lang.XdpCtx and ok:
            with KernelHandler(obj, entry=fn.__name__) as k:
                assert k.program_name == fn.__name__
    if found and not ok:
        pytest.skip(f"compiled; the kernel verifier part skipped: bpf(2) unavailable: {reason}")


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.kind == "error"], ids=lambda b: b.id)
def test_error_blocks_fail_where_and_how_the_doc_says(block, tmp_path):
    module, offset = load(block, tmp_path)
    marks = [(i, line) for i, line in enumerate(block.text.splitlines(), 1) if "# error: " in line]
    assert len(marks) == 1, "mark the failing line with `# error: <message>`"
    line_no, line = marks[0]
    expected = line.split("# error: ", 1)[1].strip()
    (fn,) = handlers(module)
    with pytest.raises(LangCompileError) as info:
        compile_bpf(module, entry=fn.__name__)
    assert expected in info.value.message
    assert info.value.line == offset + line_no


def test_the_api_names_the_doc_lists_exist():
    for name in ("compile_bpf", "compile_native", "emit_llvm", "emit_asm", "NativeFunction",
                 "LangTypeError", "LangRuntimeError"):
        assert hasattr(chamelio.lang, name), name


@pytest.mark.parametrize("emit,marker", [("asm", "exit"), ("llvm", 'section "xdp"')])
def test_the_cli_emits_assembly_and_llvm(emit, marker):
    done = subprocess.run([*chamelio_cli(), "compile", str(EXAMPLES / "xdp_counter.py"),
                           "--emit", emit], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout
