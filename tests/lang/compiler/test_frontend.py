"""Passes 1 and 2: parse (positions, allow-list) and resolve (names through the globals)."""

from __future__ import annotations

import ast

import pytest

import chamelio.lang as cl
from chamelio.lang import XdpCtx, u32
from chamelio.lang import u32 as word
from chamelio.lang.compiler import LangCompileError, compile_native, emit_llvm
from chamelio.lang.compiler.frontend import module_from_source, parse_function, validate
from chamelio.lang.compiler.resolve import MISSING, local_names, resolve

LIMIT = 7


def aliased(ctx: XdpCtx) -> word:
    x: cl.u32 = cl.u32(LIMIT)
    return x % 5


class Holder:
    @staticmethod
    def indented(a: u32) -> u32:
        b = a + 1
        return b


def test_positions_of_a_nested_definition():
    src = parse_function(Holder.indented)
    assign = src.node.body[0]
    line, col = src.loc.position(assign)
    assert (line, col) == (Holder.indented.__code__.co_firstlineno + 2, 9)
    assert src.loc.file.endswith("test_frontend.py")


def test_module_source_positions_and_globals():
    m = module_from_source("from chamelio.lang import u8\n\ndef f(a: u8) -> u8:\n"
                           "    return a\n", "<mine>")
    src = parse_function(m.f)
    assert src.loc.file == "<mine>"
    assert src.loc.position(src.node.body[0]) == (4, 5)
    assert src.globals["u8"] is cl.u8


def test_syntax_error_in_source_text():
    with pytest.raises(LangCompileError, match="syntax error") as info:
        module_from_source("def f(:\n", "<bad>")
    assert info.value.line == 1


def test_module_level_failure_is_a_compile_error():
    with pytest.raises(LangCompileError, match="executing the module failed: ZeroDivisionError"):
        module_from_source("x = 1 // 0\n")


def test_validate_accepts_the_subset_and_skips_docstring():
    m = module_from_source('from chamelio.lang import u8\n\ndef f(a: u8) -> u8:\n'
                           '    """doc"""\n    while a > 3:\n        a -= 1\n'
                           '    return a if a else ~a\n')
    validate(parse_function(m.f))


def test_resolve_aliases_and_locals():
    src = parse_function(aliased)
    res = resolve(src)
    objs = set(map(id, res.statics.values()))
    assert id(cl.u32) in objs and id(cl) in objs
    assert src.node.returns is not None and res.statics[src.node.returns] is cl.u32
    assert 7 in res.statics.values()  # LIMIT
    assert local_names(src.node) == {"ctx", "x"}
    name_x = next(n for n in ast.walk(src.node) if isinstance(n, ast.Name) and n.id == "x")
    assert res.static(name_x) is MISSING


def test_aliased_names_compile():
    assert int(compile_native(aliased)(XdpCtx.from_packet(b""))) == 2
    assert "section \"xdp\"" in emit_llvm(aliased, optimize=False)


def test_local_shadows_global():
    m = module_from_source("from chamelio.lang import u32\nLIMIT = 9\n\n"
                           "def f(a: u32) -> u32:\n    LIMIT = a + 1\n    return LIMIT\n")
    assert int(compile_native(m.f)(4)) == 5


def test_unknown_attribute_of_a_module():
    m = module_from_source("import chamelio.lang as cl\n\ndef f(a: cl.u32) -> cl.u32:\n"
                           "    return cl.nope(a)\n")
    with pytest.raises(LangCompileError, match="has no attribute 'nope'") as info:
        compile_native(m.f)
    assert info.value.line == 4
