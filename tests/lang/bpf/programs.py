"""Hand-built LLVM IR for the bpf back-end tests (the front end is not used here)."""

from __future__ import annotations

from llvmlite import ir

from chamelio.lang.bpf.debuginfo import DebugInfo
from chamelio.lang.bpf.libbpf import add_license, mark_nounwind, set_program_section

BPF_MAP_TYPE_HASH = 1
BPF_FUNC_map_lookup_elem = 1
BPF_FUNC_map_update_elem = 2
XDP_DROP = 1
XDP_PASS = 2

I8 = ir.IntType(8)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
PTR = ir.PointerType()

# The "source" the debug info points at: what a lang handler for this program looks like.
COUNTER_SOURCE = """\
def count(ctx: XdpMd) -> u32:
    if ctx.data + 1 > ctx.data_end:
        return XDP_PASS
    key: u32 = ctx.data[0]
    value = counts.lookup(key)
    if value:
        value[0] += 1
    else:
        counts.update(key, 1)
    if key == 0xFF:
        return XDP_DROP
    return XDP_PASS
"""


def helper(builder: ir.IRBuilder, helper_id: int, ret: ir.Type, args: list[ir.Value]) -> ir.Value:
    """Call kernel helper *helper_id* (``call (inttoptr i64 id)``)."""
    # llvmlite needs a typed function pointer to know the callee's type; it prints as
    # ``i64 (ptr, ptr)*``, which LLVM 22's parser still accepts (as ``ptr``).
    fnty = ir.FunctionType(ret, [a.type for a in args])
    target = builder.inttoptr(ir.Constant(I64, helper_id), fnty.as_pointer())
    return builder.call(target, args)


def xdp_counter_module(directory: str = "/chamelio/tests") -> ir.Module:
    """An XDP program counting packets per first byte in a hash map ``counts``.

    Returns ``XDP_DROP`` when the first byte is 0xFF, else ``XDP_PASS``; packets shorter
    than one byte pass uncounted.
    """
    module = ir.Module(name="counter")
    di = DebugInfo(module, "counter.py", directory, source=COUNTER_SOURCE)
    u32 = di.int_type(32, False)
    u64 = di.int_type(64, False)
    counts = di.define_map("counts", BPF_MAP_TYPE_HASH, 64, key=u32, value=u64, line=1)
    add_license(module, "GPL")

    xdp_md = di.struct_type(
        "xdp_md",
        [(f, u32, 32 * i, 32) for i, f in enumerate(("data", "data_end", "data_meta"))],
        96,
    )
    fn = ir.Function(module, ir.FunctionType(I32, [PTR]), "count")
    fn.args[0].name = "ctx"
    set_program_section(fn, "xdp")
    sp = di.add_function(fn, "count", 1, [di.pointer(xdp_md)], u32)

    b = ir.IRBuilder(fn.append_basic_block("entry"))

    def at(line: int) -> None:
        b.debug_metadata = di.location(line, 5, sp)

    at(2)
    key = b.alloca(I32, name="key")
    one = b.alloca(I64, name="one")
    ctx = fn.args[0]
    data_end_p = b.gep(ctx, [ir.Constant(I32, 1)], source_etype=I32)
    data = b.inttoptr(b.zext(b.load(ctx, typ=I32), I64), PTR, name="data")
    data_end = b.inttoptr(b.zext(b.load(data_end_p, typ=I32), I64), PTR, name="data_end")
    after = b.gep(data, [ir.Constant(I64, 1)], source_etype=I8)
    short = b.icmp_unsigned(">", after, data_end)
    bb_short = fn.append_basic_block("short")
    bb_body = fn.append_basic_block("body")
    b.cbranch(short, bb_short, bb_body)

    b.position_at_end(bb_short)
    at(3)
    b.ret(ir.Constant(I32, XDP_PASS))

    b.position_at_end(bb_body)
    at(4)
    first = b.zext(b.load(data, typ=I8), I32, name="first")
    b.store(first, key)
    at(5)
    value = helper(b, BPF_FUNC_map_lookup_elem, PTR, [counts, key])
    bb_inc = fn.append_basic_block("inc")
    bb_new = fn.append_basic_block("new")
    bb_ret = fn.append_basic_block("verdict")
    at(6)
    b.cbranch(b.icmp_unsigned("!=", value, ir.Constant(PTR, None)), bb_inc, bb_new)

    b.position_at_end(bb_inc)
    at(7)
    b.store(b.add(b.load(value, typ=I64), ir.Constant(I64, 1)), value)
    b.branch(bb_ret)

    b.position_at_end(bb_new)
    at(9)
    b.store(ir.Constant(I64, 1), one)
    helper(b, BPF_FUNC_map_update_elem, I64, [counts, key, one, ir.Constant(I64, 0)])
    b.branch(bb_ret)

    b.position_at_end(bb_ret)
    at(10)
    drop = b.icmp_unsigned("==", first, ir.Constant(I32, 0xFF))
    at(11)
    b.ret(b.select(drop, ir.Constant(I32, XDP_DROP), ir.Constant(I32, XDP_PASS)))
    mark_nounwind(module)
    return module


def _single(body: str, params: str = "i64 %a, i64 %b", extra: str = "") -> str:
    return (
        f'define i64 @prog({params}) section "xdp" {{\n{body}\n}}\n{extra}'
        '@_license = global [4 x i8] c"GPL\\00", section "license"\n'
    )


SDIV_IR = _single("  %c = sdiv i64 %a, %b\n  ret i64 %c")

BIG_STACK_IR = _single(
    "  %buf = alloca [128 x i64], align 8\n"
    "  %p = getelementptr [128 x i64], ptr %buf, i64 0, i64 %a\n"
    "  store volatile i64 %b, ptr %p\n"
    "  %v = load volatile i64, ptr %p\n"
    "  ret i64 %v"
)

SIX_ARGS_IR = _single(
    "  %r = call i64 @six(i64 %a, i64 %b, i64 %a, i64 %b, i64 %a, i64 %b)\n  ret i64 %r",
    extra=(
        "define internal i64 @six(i64 %a, i64 %b, i64 %c, i64 %d, i64 %e, i64 %f) noinline {\n"
        "  %1 = add i64 %a, %b\n  %2 = add i64 %1, %c\n  %3 = add i64 %2, %d\n"
        "  %4 = add i64 %3, %e\n  %5 = add i64 %4, %f\n  ret i64 %5\n}\n"
    ),
)

VARIABLE_MEMCPY_IR = _single(
    "  call void @llvm.memcpy.p0.p0.i64(ptr %dst, ptr %src, i64 %n, i1 false)\n  ret i64 0",
    params="ptr %dst, ptr %src, i64 %n",
    extra="declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)\n",
)

UDIV_IR = _single(
    "  %z = icmp eq i64 %b, 0\n  %d = select i1 %z, i64 1, i64 %b\n"
    "  %q = udiv i64 %a, %d\n  %r = select i1 %z, i64 0, i64 %q\n  ret i64 %r"
)


CALL_SOURCE = """\
def classify(first: u8, length: u32) -> u32:
    if first == 0xFF or length < 20:
        return XDP_DROP
    return XDP_PASS

def entry(ctx: XdpMd) -> u32:
    if ctx.data + 1 > ctx.data_end:
        return XDP_PASS
    return classify(ctx.data[0], ctx.data_end - ctx.data)
"""


def xdp_call_module() -> ir.Module:
    """An XDP program calling a static, non-inlined function (a bpf-to-bpf call):
    drop packets whose first byte is 0xFF or that are shorter than 20 bytes."""
    module = ir.Module(name="calls")
    di = DebugInfo(module, "calls.py", "/chamelio/tests", source=CALL_SOURCE)
    u8 = di.int_type(8, False)
    u32 = di.int_type(32, False)
    add_license(module)

    classify = ir.Function(module, ir.FunctionType(I32, [I8, I32]), "classify")
    classify.linkage = "internal"
    classify.attributes.add("noinline")
    sp = di.add_function(classify, "classify", 1, [u8, u32], u32, ["first", "length"])
    b = ir.IRBuilder(classify.append_basic_block("entry"))
    b.debug_metadata = di.location(2, 5, sp)
    first, length = classify.args
    bad = b.or_(
        b.icmp_unsigned("==", first, ir.Constant(I8, 0xFF)),
        b.icmp_unsigned("<", length, ir.Constant(I32, 20)),
    )
    b.debug_metadata = di.location(3, 9, sp)
    b.ret(b.select(bad, ir.Constant(I32, XDP_DROP), ir.Constant(I32, XDP_PASS)))

    fn = ir.Function(module, ir.FunctionType(I32, [PTR]), "entry")
    set_program_section(fn, "xdp")
    sp = di.add_function(fn, "entry", 6, [di.pointer(None)], u32, ["ctx"])
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    b.debug_metadata = di.location(7, 5, sp)
    ctx = fn.args[0]
    data_i = b.zext(b.load(ctx, typ=I32), I64)
    end_i = b.zext(b.load(b.gep(ctx, [ir.Constant(I32, 1)], source_etype=I32), typ=I32), I64)
    data = b.inttoptr(data_i, PTR)
    end = b.inttoptr(end_i, PTR)
    short = b.icmp_unsigned(">", b.gep(data, [ir.Constant(I64, 1)], source_etype=I8), end)
    bb_short = fn.append_basic_block("short")
    bb_call = fn.append_basic_block("call")
    b.cbranch(short, bb_short, bb_call)
    b.position_at_end(bb_short)
    b.debug_metadata = di.location(8, 9, sp)
    b.ret(ir.Constant(I32, XDP_PASS))
    b.position_at_end(bb_call)
    b.debug_metadata = di.location(9, 5, sp)
    length = b.trunc(b.sub(end_i, data_i), I32)
    b.ret(b.call(classify, [b.load(data, typ=I8), length]))
    mark_nounwind(module)
    return module
