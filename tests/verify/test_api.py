"""The public API: ``verify``/``verify_object`` inputs, the report (text and JSON), line
info, bad input as ``ChamelioError``, and no exception for any instruction stream."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import pytest

from chamelio.abi import hook
from chamelio.ebpf import isa
from chamelio.ebpf.elf import MapDef, load_object
from chamelio.ebpf.elf.objfile import LineInfo
from chamelio.ebpf.isa import Insn
from chamelio.ebpf.progfuzz import ProgramGenerator
from chamelio.errors import ChamelioError
from chamelio.verify import Rejection, Report, verify, verify_object

from .asm_programs import ARRAY_8, asm

OK = "mov %r0, 2\nexit"
BAD = "mov %r0, 2\nldxdw %r1, [%r10-8]\nexit"
UDP_FILTER = """
from chamelio.lang import XdpAction, XdpCtx, u32

def handler(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(14):
        return u32(XdpAction.PASS)
    return u32(pkt.u8(13) & 3)
"""


def test_profiles_by_name_alias_and_hook() -> None:
    for profile in ("xdp", "socket", "rx", "chamelio/tx", hook("socket_filter")):
        assert verify(asm("mov %r0, 0\nexit"), profile).accepted
    assert verify(asm(OK), "rx").profile == "chamelio/rx"
    with pytest.raises(ChamelioError, match="unknown hook"):
        verify(asm(OK), "tc")


def test_program_as_bytes() -> None:
    assert verify(isa.encode(asm(OK)), "xdp").accepted
    with pytest.raises(ChamelioError):
        verify(b"\x00" * 7, "xdp")
    with pytest.raises(ChamelioError, match="list of Insn"):
        verify(["exit"], "xdp")  # type: ignore[list-item]


@dataclass
class _Map:
    type: int
    key_size: int
    value_size: int
    max_entries: int


LOOKUP = """
    stw [%r10-4], 0
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map_fd(0)
    call 1
    jeq %r0, 0, +1
    ldxdw %r1, [%r0]
    mov %r0, 2
    exit
"""


@pytest.mark.parametrize("m", [ARRAY_8, MapDef("m", 2, 4, 8, 4), _Map(2, 4, 8, 4)])
def test_maps_in_any_map_def_shape(m: object) -> None:
    assert verify(asm(LOOKUP), "xdp", maps=[m]).accepted


def test_bad_map_definition() -> None:
    with pytest.raises(ChamelioError, match="map 0 is not a map definition"):
        verify(asm(LOOKUP), "xdp", maps=["array"])


def test_report_json_is_exactly_the_documented_shape() -> None:
    ok = verify(asm(OK), "xdp")
    assert ok.to_json() == {"accepted": True, "cost": 2, "error": None}
    bad = verify(asm(BAD), "xdp")
    assert bad.to_json() == {
        "accepted": False,
        "cost": None,
        "error": {"pc": 1, "message": "stack load reads uninitialised stack at fp-8", "line": None},
    }
    assert json.loads(bad.json()) == bad.to_json()


def test_report_text() -> None:
    ok = verify(asm(OK), "xdp")
    assert ok.format().startswith("accepted for xdp: worst-case cost 2 (budget 100000)")
    bad = verify(asm(BAD), "xdp")
    assert isinstance(bad, Report) and isinstance(bad.error, Rejection)
    text = str(bad)
    assert text.splitlines()[0].startswith("rejected for xdp")
    assert "pc 1: ldxdw %r1, [%r10-8]" in text
    assert "error: stack load reads uninitialised stack at fp-8" in text
    assert "hint: write a stack slot before reading it" in text
    assert "state: " in text and "path: 0 -> 1" in text


def test_line_info_from_a_mapping_or_a_callable() -> None:
    info = LineInfo("prog.c", 7, 3, "  return *(long *)(fp - 8);")
    by_map = verify(asm(BAD), "xdp", line_info={1: info})
    assert by_map.error is not None
    assert by_map.error.line == "prog.c:7:3 return *(long *)(fp - 8);"
    by_call = verify(asm(BAD), "xdp", line_info=lambda pc: info if pc == 1 else None)
    assert by_call.error is not None and by_call.error.line == by_map.error.line
    broken = verify(asm(BAD), "xdp", line_info=lambda pc: 1 // 0)
    assert broken.error is not None and broken.error.line is None


def test_verify_object_from_lang_source_with_line_info() -> None:
    from chamelio.lang import compile_bpf

    code = compile_bpf(UDP_FILTER, entry="handler", hook="xdp")
    for source in (code, load_object(code)):
        report = verify_object(source)
        assert report.accepted and report.profile == "xdp", report.format()
    bad = compile_bpf(UDP_FILTER.replace("& 3", "& 7"), entry="handler", hook="xdp")
    report = verify_object(bad)
    assert not report.accepted and report.error is not None
    assert "outside 0..4" in report.error.message
    assert report.error.line is not None and report.error.line.startswith("./<chamelio-source")
    assert report.to_json()["error"]["line"] == report.error.line


def test_verify_object_selection_and_errors(tmp_path: object) -> None:
    from chamelio.lang import compile_bpf

    code = compile_bpf(UDP_FILTER, entry="handler", hook="xdp")
    assert verify_object(code, program=0).accepted
    assert verify_object(code, program="handler").accepted
    assert verify_object(code, profile="socket_filter").profile == "socket_filter"
    assert verify_object(code, budget=3).accepted is False
    with pytest.raises(ChamelioError):
        verify_object(code, program=3)
    with pytest.raises(ChamelioError):
        verify_object(code, program="nope")
    with pytest.raises(ChamelioError):
        verify_object(b"not an elf")
    with pytest.raises(ChamelioError):
        verify_object(12)


def test_random_instruction_streams_never_raise() -> None:
    """Any decodable stream gets a report: random slots, and valid programs with random
    slots overwritten."""
    rng = random.Random(5)
    gen = ProgramGenerator(seed=5)
    opcodes = sorted({i.opcode for _ in range(5) for i in gen.case().insns})
    reports = 0
    for n in range(300):
        if n % 2:
            insns = list(gen.case().insns)
            for _ in range(rng.randint(1, 4)):
                pc = rng.randrange(len(insns))
                insns[pc] = Insn(rng.choice(opcodes), rng.randrange(11), rng.randrange(11),
                                 rng.randint(-8, 8), rng.choice((0, 1, -1, 8, 28, 1 << 20)))  # fmt: skip
        else:
            insns = [Insn(rng.choice(opcodes), rng.randrange(11), rng.randrange(11),
                          rng.randint(-4, 4), rng.randint(-64, 64)) for _ in range(rng.randint(1, 12))]
            insns.append(Insn(isa.OP_EXIT))
        try:
            insns = isa.decode(isa.encode(insns))
        except ChamelioError:
            continue
        profile = rng.choice(("xdp", "socket_filter", "chamelio/rx", "chamelio/tx"))
        report = verify(insns, profile, maps=[ARRAY_8], max_states=20_000, budget=5_000)
        assert report.accepted or report.error is not None
        reports += 1
    assert reports > 200
