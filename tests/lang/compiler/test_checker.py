"""Pass 3, check: facts, types and constants."""

from __future__ import annotations

import ast

import pytest

from chamelio.lang import types as lt
from chamelio.lang.compiler import LangCompileError, compile_bpf, compile_native
from chamelio.lang.compiler.facts import Facts, meet
from chamelio.lang.compiler.frontend import module_from_source, parse_function
from chamelio.lang.compiler.program import ProgramChecker
from chamelio.lang.compiler.typed import PktAccess, PktCheck, Program

HEADER = ("from chamelio.lang import u8, u16, u32, u64, i8, i32, Array, HashMap, XdpCtx, "
          "XdpAction, Ptr\nm = HashMap(key=u32, value=u64, max_entries=4)\n\n")


def check(body: str, target: str = "bpf") -> Program:
    mod = module_from_source(HEADER + "def prog(ctx: XdpCtx) -> u32:\n" + "".join(
        "    " + line + "\n" for line in body.splitlines()))
    src = parse_function(mod.prog)
    from chamelio import abi
    return ProgramChecker(target, abi.hook("xdp")).check_entry(src)


def test_facts_meet_and_kill():
    a = Facts(assigned=frozenset({"x", "p"})).with_pkt("p", 14).with_bound("i", 4)
    b = Facts(assigned=frozenset({"x"})).with_pkt("p", 20).with_bound("i", 8)
    m = meet(a, b)
    assert m is not None
    assert m.assigned == {"x"} and m.pkt_len("p") == 14 and m.bound("i") == 8
    assert meet(None, a) == a and meet(a, None) == a
    dyn = a.with_dyn("p", "off", 2, 6)
    assert dyn.covers("p", "off", 2, 4) and not dyn.covers("p", "off", 0, 2)
    assert not dyn.kill("off").covers("p", "off", 2, 4)
    assert dyn.kill("p").pkt_len("p") == 0
    assert a.with_dyn("p", "", 0, 30).pkt_len("p") == 30


def test_has_covers_only_after_the_check():
    prog = check("pkt = ctx.packet()\nif not pkt.has(14):\n    return 2\nx = pkt.be16(12)\n"
                 "return 2")
    infos = list(prog.entry.info.values())
    assert PktCheck("pkt", 14) in infos
    assert any(isinstance(i, PktAccess) and i.off == 12 and i.size == 2 for i in infos)


def test_join_keeps_the_weaker_fact():
    with pytest.raises(LangCompileError, match=r"bytes 20\.\.21"):
        check("pkt = ctx.packet()\nif ctx.rx_queue_index == 0:\n    if not pkt.has(30):\n"
              "        return 2\nelif not pkt.has(14):\n    return 2\nx = pkt.be16(20)\nreturn 2")


def test_and_or_conditions_carry_facts():
    check("pkt = ctx.packet()\nif pkt.has(20) and pkt.u8(19) == 1:\n    return 1\nreturn 2")
    check("pkt = ctx.packet()\nif not pkt.has(20) or pkt.u8(19) == 1:\n    return 1\n"
          "return u32(pkt.u8(3)) % 5")
    with pytest.raises(LangCompileError, match="not covered"):
        check("pkt = ctx.packet()\nif pkt.has(20) or pkt.u8(19) == 1:\n    return 1\nreturn 2")


def test_has_at_covers_relative_offsets():
    check("pkt = ctx.packet()\noff = u32(ctx.rx_queue_index)\nif not pkt.has_at(off + 2, 4):\n"
          "    return 2\nx = pkt.be16(off + 4)\nreturn 2")
    with pytest.raises(LangCompileError, match="has_at\\(off, 7\\)"):
        check("pkt = ctx.packet()\noff = u32(ctx.rx_queue_index)\nif not pkt.has_at(off, 4):\n"
              "    return 2\nx = pkt.be32(off + 3)\nreturn 2")


def test_reassignment_kills_packet_facts():
    with pytest.raises(LangCompileError, match="not covered"):
        check("pkt = ctx.packet()\noff = u32(1)\nif not pkt.has_at(off, 4):\n    return 2\n"
              "off = off + 1\nx = pkt.u8(off)\nreturn 2")


def test_none_check_narrows():
    check("k = u32(0)\nv = m.lookup(k)\nif v is None:\n    return 2\nv[0] += 1\nreturn 2")
    check("k = u32(0)\nv = m.lookup(k)\nif v:\n    v[0] = 3\nreturn 2")
    with pytest.raises(LangCompileError, match="may be None"):
        check("k = u32(0)\nv = m.lookup(k)\nif v is not None:\n    pass\nv[0] += 1\nreturn 2")


def test_loop_facts_fixpoint_keeps_stable_bounds():
    check("a = Array[u8, 8]()\nbest = u32(0)\nfor i in range(8):\n    if a[i] > a[best]:\n"
          "        best = i\nreturn u32(a[best]) % 5")


def test_literals_take_the_other_type_and_fold():
    prog = check("a = u8(200) + 100\nb: i8 = -128\nc = u32(7) // 0\nreturn 2")
    consts = {ast.unparse(n): v for n, v in prog.entry.const.items() if isinstance(n, ast.BinOp)}
    assert consts["u8(200) + 100"] == 44
    assert consts["u32(7) // 0"] == 0
    assert prog.entry.locals["b"] == lt.I8


def test_constant_condition_prunes():
    prog = check("if False:\n    x = u8(1) + u16(2)\nreturn 2")
    assert prog.entry.ret == lt.U32


def test_int_literal_range_errors():
    with pytest.raises(LangCompileError, match="literal -1 does not fit in u32"):
        check("a: u32 = -1\nreturn 2")


def test_bounded_while_forms():
    check("i = u32(0)\nwhile i < 10:\n    i += 1\nreturn 2")
    check("i = i32(10)\nwhile i > 0:\n    i -= 2\nreturn 2")
    check("i = u8(0)\nwhile i <= 254 and ctx.rx_queue_index != 3:\n    i += 1\nreturn 2")
    with pytest.raises(LangCompileError, match="cannot prove that this loop ends"):
        check("i = u8(0)\nwhile i <= 255:\n    i += 1\nreturn 2")  # would wrap
    with pytest.raises(LangCompileError, match="cannot prove"):
        check("i = u32(0)\nwhile i < 10:\n    if i == 3:\n        continue\n    i += 1\nreturn 2")
    compile_native(HEADER + "def f(n: u32) -> u32:\n    while n > 1:\n        n = n // 2\n"
                   "    return n\n", entry="f")


def test_program_collects_callees_and_maps():
    src = HEADER + """
def helper(a: u32) -> u32:
    return a + 1

def prog(ctx: XdpCtx) -> u32:
    k = helper(u32(1))
    v = m.lookup(k)
    return helper(k) % 5
"""
    mod = module_from_source(src)
    from chamelio import abi
    prog = ProgramChecker("bpf", abi.hook("xdp")).check_entry(parse_function(mod.prog))
    assert [f.name for f in prog.functions] == ["prog", "helper"]
    assert [sym for sym, _ in prog.maps.values()] == ["m"]
    compile_bpf(src, entry="prog")


# ---- where plain Python computes with unbounded ints ---------------------------------------

def test_python_int_arithmetic_that_could_wrap_is_rejected():
    with pytest.raises(LangCompileError, match="plain Python computes this '\\+' on unbounded"):
        check("x: u32 = 4294967295\nx += 1\nreturn x % 5")
    with pytest.raises(LangCompileError, match="give an operand its type: u32"):
        check("x: u32 = 0\ny: u32 = 1\nz = x - y\nreturn z % 5")
    with pytest.raises(LangCompileError, match="unbounded"):
        check("a: u8 = 3\nb = ~a\nreturn u32(b) % 5")


def test_python_int_arithmetic_that_cannot_wrap_is_accepted():
    check("i: u32 = 0\nwhile i < 10:\n    i += 1\nreturn i % 5")
    check("x: u32 = 0\nx += u32(ctx.rx_queue_index)\nx += 1\nreturn x % 5")  # typed now
    check("k = u32(7)\nk -= 1\nreturn k % 5")


def test_python_int_parameters_follow_the_call_site():
    src = HEADER + """
def inc(a: u32) -> u32:
    return a + 1

def prog(ctx: XdpCtx) -> u32:
    return inc({arg}) % 5
"""
    compile_bpf(src.format(arg="u32(ctx.rx_queue_index)"), entry="prog")
    with pytest.raises(LangCompileError, match="unbounded"):
        compile_bpf(src.format(arg="4"), entry="prog")


def test_python_int_returns_flow_to_the_caller():
    src = HEADER + """
def zero(a: u32) -> u32:
    return 0

def prog(ctx: XdpCtx) -> u32:
    z = zero(u32(1))
    return (z - 1) % 5
"""
    with pytest.raises(LangCompileError, match="unbounded"):
        compile_bpf(src, entry="prog")
