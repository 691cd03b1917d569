"""Pass 4, lower (and the emitted objects): the IR shapes the semantics and the verifier need."""

from __future__ import annotations

import io
import re

import pytest
from elftools.elf.elffile import ELFFile

from chamelio.ebpf.elf import load_object
from chamelio.lang.compiler import compile_bpf, emit_asm, emit_llvm
from tests.lang.compiler import handlers as H
from tests.lang.compiler import rx_handlers as R

SRC = """\
from chamelio.lang import u8, u32, u64, i32, XdpCtx, XdpAction
from chamelio.lang import helpers as h

def prog(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(8):
        return XdpAction.PASS
    a = pkt.be32(0)
    b = pkt.be32(4)
    s = i32(a) // i32(b)
    t = a // b + (a << b) + u32(s) + u32(h.ktime_get_ns())
    off = u32(pkt.u8(0))
    if not pkt.has_at(off, 2):
        return XdpAction.PASS
    return (t + u32(pkt.u8(off + 1))) % 5
"""


def raw_ir(target: str = "bpf", cpu: str = "v3") -> str:
    return emit_llvm(SRC, target=target, cpu=cpu, optimize=False)


def test_division_guards_the_divisor_before_dividing():
    ir = raw_ir()
    m = re.search(r"%\"?([\w.]+)\"? = select\s+i1 [^,]+, i32 1, i32 (%\S+)", ir)
    assert m, ir
    assert re.search(rf"udiv i32 %\S+, %\"?{re.escape(m.group(1))}\"?", ir)


def test_shift_amounts_are_masked():
    assert re.search(r"and i32 %\S+, 31", raw_ir())


def test_signed_division_below_v4_is_unsigned():
    assert "sdiv" not in raw_ir(cpu="v3") and "udiv" in raw_ir(cpu="v3")
    assert "sdiv" in raw_ir(cpu="v4")
    assert "sdiv" in raw_ir(target="native")


def test_xdp_packet_pointers_are_32_bit_loads():
    ir = raw_ir()
    assert re.search(r"load i32, ptr %\S+, align 4", ir)
    assert "inttoptr i64" in ir
    assert re.search(r"icmp ugt ptr", ir)


def test_dynamic_offsets_use_passthrough_on_bpf_only():
    assert "llvm.bpf.passthrough" in raw_ir()
    assert "llvm.bpf.passthrough" not in raw_ir("native")


def test_helpers_by_id_on_bpf_and_by_symbol_natively():
    assert "inttoptr (i64 5 to ptr)" in raw_ir()
    assert re.search(r"call i64 @\"?chamelio_helper_ktime_get_ns", raw_ir("native"))
    assert "call 5" in emit_asm(SRC)


def test_object_sections_maps_and_license():
    obj = compile_bpf(H.l4_proto)
    elf = ELFFile(io.BytesIO(obj))
    assert elf["e_machine"] == "EM_BPF" and elf["e_type"] == "ET_REL"
    names = {s.name for s in elf.iter_sections()}
    assert {"xdp", ".maps", "license", ".BTF", ".BTF.ext"} <= names
    assert ".eh_frame" not in names
    o = load_object(obj)
    assert o.license == "GPL"
    assert [p.section for p in o.programs] == ["xdp"]
    maps = {m.name: (m.type, m.key_size, m.value_size, m.max_entries) for m in o.maps}
    assert maps == {"flows": (1, 16, 24, 128), "by_proto": (2, 4, 8, 256)}
    assert o.programs[0].line_info  # line info from the DWARF → BTF.ext


@pytest.mark.parametrize(("fn", "section"), [(H.sock_len, "socket"), (R.rx_deliver, "chamelio/rx"),
                                             (R.tx_ack, "chamelio/tx")])
def test_program_section_by_hook(fn, section):
    o = load_object(compile_bpf(fn))
    assert [p.section for p in o.programs] == [section]


@pytest.mark.parametrize("cpu", ["v1", "v2", "v3", "v4"])
def test_every_cpu_compiles(cpu):
    assert compile_bpf(SRC, cpu=cpu)[:4] == b"\x7fELF"


def test_callees_are_inlined_on_bpf():
    o = load_object(compile_bpf(H.l4_proto))
    assert not o.programs[0].calls
    assert "define internal" in emit_llvm(H.l4_proto, optimize=False)
