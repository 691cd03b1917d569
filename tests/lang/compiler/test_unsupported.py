"""Every construct outside the subset is a compile error at its line, with a hint."""

from __future__ import annotations

import pytest

from chamelio.errors import ChamelioError
from chamelio.lang import XdpCtx
from chamelio.lang.compiler import LangCompileError, compile_bpf, compile_native

HEADER = """\
from chamelio.lang import u8, u16, u32, u64, i32, Array, HashMap, XdpCtx, RxCtx, XdpAction
from chamelio.lang import helpers as h
m = HashMap(key=u32, value=u64, max_entries=4)
"""

# (id, body of `def prog(ctx: XdpCtx) -> u32:` (the line marked `#!` is where the error is),
#  a phrase of the message)
CASES = [
    ("lambda", "f = lambda: 1  #!\nreturn 0", "lambda expressions are not supported"),
    ("list", "x = [1, 2]  #!\nreturn 0", "list literals are not supported"),
    ("dict", "x = {1: 2}  #!\nreturn 0", "dict literals are not supported"),
    ("try", "try:  #!\n    pass\nexcept Exception:\n    pass\nreturn 0",
     "try/except is not supported"),
    ("with", "with open('x'):  #!\n    pass\nreturn 0", "with statements are not supported"),
    ("truediv", "x = u32(4) / u32(2)  #!\nreturn 0", "'/' (true division) is not supported"),
    ("pow", "x = u32(4) ** 2  #!\nreturn 0", "'**' is not supported"),
    ("fstring", "x = f'{ctx}'  #!\nreturn 0", "f-strings are not supported"),
    ("float", "x = 1.5  #!\nreturn 0", "float constants are not supported"),
    ("string", "x = 'abc'  #!\nreturn 0", "str constants are not supported"),
    ("nested_def", "def g() -> u32:  #!\n    return 0\nreturn 0", "nested functions"),
    ("global", "global m  #!\nreturn 0", "'global' is not supported"),
    ("chained", "a = u32(1)\nif 0 < a < 5:  #!\n    return 1\nreturn 0",
     "chained comparisons are not supported"),
    ("in", "a = u32(1)\nif a in m:  #!\n    return 1\nreturn 0", "'in' is not supported"),
    ("unpack", "a, b = u32(1), u32(2)  #!\nreturn 0", "assign one target at a time"),
    ("for_list", "for x in ctx:  #!\n    pass\nreturn 0", "only `for i in range(...)` loops"),
    ("while_true", "while True:  #!\n    break\nreturn 0", "unbounded"),
    ("while_unproven", "i = u32(0)\nwhile i < 10:  #!\n    i = i * 2\nreturn 0",
     "cannot prove that this loop ends"),
    ("del", "a = u32(1)\ndel a  #!\nreturn 0", "'del' is not supported"),
    ("raise", "raise ValueError()  #!", "raise is not supported"),
    ("assert", "assert ctx  #!\nreturn 0", "assert is not supported"),
    ("import", "import os  #!\nreturn 0", "import inside a handler is not supported"),
    ("walrus", "if (a := u32(1)):  #!\n    return 1\nreturn 0", "walrus"),
    ("is_value", "a = u32(1)\nif a is u32(1):  #!\n    return 1\nreturn 0",
     "only compares a pointer with None"),
    ("match", "match ctx:  #!\n    case _:\n        pass\nreturn 0", "match statements"),
    ("slice", "a = Array[u8, 4]()\nb = a[1:2]  #!\nreturn 0", "slices are not supported"),
    ("uncovered", "pkt = ctx.packet()\nx = pkt.be16(12)  #!\nreturn 0",
     "packet read of bytes 12..13 is not covered by a bounds check"),
    ("uncovered_dyn", "pkt = ctx.packet()\noff = u32(ctx.rx_queue_index)\nx = pkt.u8(off)  #!\n"
     "return 0", "at a dynamic offset is not covered by a bounds check"),
    ("maybe_none", "k = u32(0)\nv = m.lookup(k)\nv[0] += 1  #!\nreturn 0", "may be None"),
    ("index", "a = Array[u8, 4]()\ni = u32(ctx.rx_queue_index)\nx = a[i]  #!\nreturn 0",
     "cannot prove this index is below 4"),
    ("mixed", "a = u32(1)\nb = u64(2)\nc = a + b  #!\nreturn 0",
     "operands of '+' have different types: u32 and u64"),
    ("literal_fit", "a = u8(1)\nb = a + 300  #!\nreturn 0", "literal 300 does not fit in u8"),
    ("no_return", "a = u32(1)  #!", "can reach its end without returning"),
    ("helper_hook", "h.rx_deliver(ctx, ctx, 4)  #!\nreturn 0",
     "helper rx_deliver is not available on the xdp hook"),
    ("unassigned", "if ctx.rx_queue_index == 1:\n    a = u32(1)\nreturn a  #!",
     "may be used before it is assigned"),
    ("untyped_literal", "a = 5  #!\nreturn 0", "cannot tell the type of this integer literal"),
    ("bad_return", "return 7  #!", "accepts return values 0..4, not 7"),
    ("undefined", "return nothing_here  #!", "name 'nothing_here' is not defined"),
    ("socket_packet", None, "no direct packet access"),
    ("yield", "yield 1  #!\nreturn 0", "yield is not supported"),
    ("set", "x = {1}  #!\nreturn 0", "set literals are not supported"),
    ("listcomp", "x = [i for i in range(3)]  #!\nreturn 0", "list comprehensions"),
]


def _source(body: str) -> tuple[str, int]:
    lines = [*HEADER.splitlines(), "", "def prog(ctx: XdpCtx) -> u32:"]
    marked = 0
    for line in body.splitlines():
        lines.append("    " + line)
        if line.rstrip().endswith("#!"):
            marked = len(lines)
    return "\n".join(lines) + "\n", marked


@pytest.mark.parametrize(("case", "body", "phrase"), [c for c in CASES if c[1]],
                         ids=[c[0] for c in CASES if c[1]])
def test_unsupported_construct(case, body, phrase):
    src, line = _source(body)
    with pytest.raises(LangCompileError) as info:
        compile_bpf(src, entry="prog")
    err = info.value
    assert phrase in err.message, err.message
    assert err.line == line, (err.line, line, str(err))
    assert err.file is not None and err.col is not None
    assert err.hint, f"no hint for {case}"
    assert str(err).startswith(f"{err.file}:{err.line}:{err.col}: ")
    assert isinstance(err, ChamelioError)


def test_socket_filter_has_no_packet():
    src = HEADER + "from chamelio.lang import SkbCtx\n\ndef prog(ctx: SkbCtx) -> u32:\n" \
        "    pkt = ctx.packet()\n    return 0\n"
    with pytest.raises(LangCompileError, match="no direct packet access"):
        compile_bpf(src)


def test_recursion_rejected():
    src = HEADER + """
def fact(n: u32) -> u32:
    if n == 0:
        return 1
    return n * fact(n - 1)

def prog(ctx: XdpCtx) -> u32:
    return fact(u32(3)) % 5
"""
    with pytest.raises(LangCompileError, match="recursive call of fact"):
        compile_bpf(src, entry="prog")


def test_six_arguments_rejected_on_bpf_only():
    src = HEADER + """
def six(a: u32, b: u32, c: u32, d: u32, e: u32, f: u32) -> u32:
    return a + b + c + d + e + f

def prog(ctx: XdpCtx) -> u32:
    return six(u32(1), 0, 0, 0, 0, 0)
"""
    with pytest.raises(LangCompileError, match="at most 5"):
        compile_bpf(src, entry="prog")
    assert int(compile_native(src, entry="prog")(XdpCtx.from_packet(b""))) == 1


def test_signature_errors():
    base = HEADER + "\ndef prog(ctx: XdpCtx{extra}) -> u32:\n    return 0\n"
    with pytest.raises(LangCompileError, match="exactly one parameter"):
        compile_bpf(base.format(extra=", n: u32"), entry="prog")
    with pytest.raises(LangCompileError, match="default parameter values"):
        compile_bpf(base.format(extra=", n: u32 = 1"), entry="prog")
    with pytest.raises(LangCompileError, match="only plain positional parameters"):
        compile_bpf(base.format(extra=", *rest: u32"), entry="prog")
    with pytest.raises(LangCompileError, match="has no type annotation"):
        compile_bpf(HEADER + "\ndef prog(ctx) -> u32:\n    return 0\n", entry="prog")
