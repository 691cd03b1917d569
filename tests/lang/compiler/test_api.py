"""The public entry points: inputs, entry and hook selection, the debug dumps."""

from __future__ import annotations

import types

import pytest

from chamelio.lang import XdpCtx
from chamelio.lang.compiler import (
    LangCompileError,
    NativeFunction,
    compile_bpf,
    compile_native,
    emit_asm,
    emit_llvm,
)
from chamelio.lang.compiler.frontend import module_from_source
from tests.lang.compiler import handlers as H

ONE = """\
from chamelio.lang import u32, XdpCtx, XdpAction

def helper(a: u32) -> u32:
    return a

def prog(ctx: XdpCtx) -> u32:
    return XdpAction.PASS
"""


def test_source_module_and_function_inputs():
    for source in (ONE, module_from_source(ONE)):
        assert compile_bpf(source)[:4] == b"\x7fELF"
    assert compile_bpf(module_from_source(ONE).prog)[:4] == b"\x7fELF"


def test_entry_selection():
    with pytest.raises(LangCompileError, match=r"several handlers .*: arrays, checksum"):
        compile_bpf(H)
    assert compile_bpf(H, entry="checksum")
    with pytest.raises(LangCompileError, match="has no function 'nope'"):
        compile_bpf(H, entry="nope")
    with pytest.raises(LangCompileError, match="no handler found"):
        compile_bpf(types.ModuleType("empty"))


def test_hook_selection():
    assert compile_bpf(ONE, hook="xdp")
    with pytest.raises(LangCompileError, match="takes a context of hook xdp, not socket_filter"):
        compile_bpf(ONE, hook="socket")
    with pytest.raises(LangCompileError, match="unknown hook 'nope'"):
        compile_bpf(ONE, hook="nope")
    with pytest.raises(LangCompileError, match="cannot tell which hook"):
        compile_bpf(module_from_source(ONE).helper)


def test_unknown_cpu_and_target():
    with pytest.raises(LangCompileError, match="unknown BPF cpu 'v9'"):
        compile_bpf(ONE, cpu="v9")
    with pytest.raises(LangCompileError, match="unknown target"):
        emit_llvm(ONE, target="gpu")


def test_native_function_object():
    f = compile_native(module_from_source(ONE).prog)
    assert isinstance(f, NativeFunction)
    assert f(XdpCtx.from_packet(b"")) == 2
    assert "prog" in repr(f) and f.params[0][0] == "ctx"
    with pytest.raises(TypeError, match="takes 1 arguments"):
        f()


def test_emitters():
    assert "define" in emit_llvm(ONE) and "define" in emit_llvm(ONE, target="native")
    assert "exit" in emit_asm(ONE)
    assert "ret" in emit_asm(ONE, target="native")


@pytest.mark.parametrize("via", ["argument", "environment"])
def test_debug_dumps_every_pass(capsys, monkeypatch, via):
    if via == "environment":
        monkeypatch.setenv("CHAMELIO_DEBUG", "1")
        compile_bpf(ONE)
    else:
        compile_bpf(ONE, debug=True)
    err = capsys.readouterr().err
    for stage in ("parse", "resolve", "check", "lower", "optimise", "emit (assembly)", "emit"):
        assert f"=== chamelio.lang: after {stage} ===" in err
    compile_native(module_from_source(ONE).prog, debug=False)
    if via == "argument":
        assert "=== chamelio.lang" not in capsys.readouterr().err


def test_stack_limit_is_checked_before_llvm():
    src = ("from chamelio.lang import u8, u32, Array, XdpCtx\n\ndef prog(ctx: XdpCtx) -> u32:\n"
           "    a = Array[u8, 400]()\n    b = Array[u8, 200]()\n    return 0\n")
    with pytest.raises(LangCompileError, match="600 bytes of stack") as info:
        compile_bpf(src)
    assert info.value.line == 4
