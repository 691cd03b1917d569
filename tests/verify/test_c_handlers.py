"""C handlers: `examples/c/*.c` compiled by `clang -target bpf` against the generated
`chamelio.h` load as ELF objects, pass the verifier under their section's profile (with a
cost bound that covers real runs), behave as their comments say in the reference
interpreter, and the XDP one runs in the kernel with the same results. A C handler that
forgets a bounds check is rejected at its source line, by our verifier and by the kernel's."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from chamelio.abi import Verdict, XdpAction, hook_for_section
from chamelio.ebpf.elf import ObjectFile, load_object
from chamelio.ebpf.interp import Interpreter
from tests.examples import packets as pk
from tests.verify.clang_build import C_EXAMPLES, compile_c, write_header

EXAMPLES = sorted(p.stem for p in C_EXAMPLES.glob("*.c"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ObjectFile]:
    out = tmp_path_factory.mktemp("c_handlers")
    write_header(out)
    return {name: load_object(compile_c(C_EXAMPLES / f"{name}.c", out / f"{name}.o", out))
            for name in EXAMPLES}


def test_there_are_rx_and_xdp_examples() -> None:
    assert {"udp_echo_rx", "xdp_counter"} <= set(EXAMPLES)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_loads_with_its_hook_and_line_info(built: dict[str, ObjectFile], name: str) -> None:
    obj = built[name]
    assert len(obj.programs) == 1 and obj.license == "GPL"
    prog = obj.programs[0]
    assert hook_for_section(prog.section) is not None, prog.section
    assert prog.line_info, "compiled with -g: .BTF.ext line info expected"


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_is_accepted_with_a_cost_bound(built: dict[str, ObjectFile], name: str) -> None:
    from chamelio.verify import verify_object

    obj = built[name]
    hook = hook_for_section(obj.programs[0].section)
    assert hook is not None
    report = verify_object(obj, profile=hook.name)
    print(f"{name} ({hook.name}): accepted={report.accepted} cost={report.cost} "
          f"budget={hook.default_budget}")
    assert report.accepted, report.format()
    assert report.cost is not None and 0 < report.cost <= hook.default_budget


def frames() -> list[bytes]:
    good = pk.udp4(7, payload=b"ping")
    return [
        good, pk.udp4(53), pk.tcp4(pk.TCP_SYN), pk.udp6(7), pk.arp(),
        pk.udp4(7, options=pk.RR_OPTION), pk.udp4(7, frag=0x2000), pk.udp4(7, frag=0x0001),
        pk.ipv4_frame(pk.IPPROTO_ICMP, bytes(8)),
        *(good[:n] for n in range(14 + 20 + 8)),  # cut before the end of the UDP header
    ]


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_bound_covers_every_run(built: dict[str, ObjectFile], name: str) -> None:
    """The proven worst case is at least what the interpreter executes on any frame."""
    from chamelio.verify import verify_object

    obj = built[name]
    prog = obj.programs[0]
    hook = hook_for_section(prog.section)
    assert hook is not None
    cost = verify_object(obj, profile=hook.name).cost
    interp = Interpreter(prog.insns, obj.maps, hook=hook)
    longest = max(interp.run_packet(frame).insns for frame in frames())
    assert cost is not None and longest <= cost


def l4_checksum_ok(frame: bytes) -> bool:
    ip = frame[14:34]
    segment = frame[34:]
    pseudo = ip[12:20] + struct.pack("!BBH", 0, ip[9], len(segment))
    return pk.inet_checksum(pseudo + segment) in (0, 0xFFFF)


def with_udp_checksum(frame: bytes) -> bytes:
    ip, segment = frame[14:34], bytearray(frame[34:])
    pseudo = ip[12:20] + struct.pack("!BBH", 0, ip[9], len(segment))
    segment[6:8] = struct.pack("!H", pk.inet_checksum(pseudo + bytes(segment)))
    return frame[:34] + bytes(segment)


def echo_stats(interp: Interpreter) -> list[int]:
    stats = interp.maps[0]
    assert stats is not None
    return [int.from_bytes(stats.get(struct.pack("<I", i)) or b"", "little") for i in (0, 1)]


def test_udp_echo_turns_a_datagram_to_port_7_around(built: dict[str, ObjectFile]) -> None:
    obj = built["udp_echo_rx"]
    interp = Interpreter(obj.programs[0].insns, obj.maps, hook="chamelio/rx")
    frame = with_udp_checksum(pk.udp4(7, sport=5555, payload=b"hello, echo"))
    assert l4_checksum_ok(frame)
    result = interp.run_packet(frame)
    assert result.r0 == Verdict.TX
    out = result.packet
    assert out is not None and len(out) == len(frame)
    assert out[0:6] == frame[6:12] and out[6:12] == frame[0:6]  # MACs swapped
    assert out[26:30] == frame[30:34] and out[30:34] == frame[26:30]  # IPs swapped
    assert struct.unpack("!HH", out[34:38]) == (7, 5555)  # ports swapped
    assert out[42:] == b"hello, echo"
    assert pk.inet_checksum(out[14:34]) == 0 and l4_checksum_ok(out)  # both still valid
    assert echo_stats(interp) == [1, 0]


def test_udp_echo_punts_everything_else_unchanged(built: dict[str, ObjectFile]) -> None:
    obj = built["udp_echo_rx"]
    interp = Interpreter(obj.programs[0].insns, obj.maps, hook="chamelio/rx")
    others = frames()[1:]
    for frame in others:
        result = interp.run_packet(frame)
        assert (result.r0, result.packet) == (Verdict.PUNT, frame), frame.hex()
    assert echo_stats(interp) == [0, len(others)]


XDP_FRAMES = [pk.udp4(53), pk.udp4(7, payload=b"x" * 100), pk.tcp4(pk.TCP_SYN), pk.arp(),
              pk.ipv4_frame(pk.IPPROTO_ICMP, bytes(8)), pk.udp6(53), pk.udp4(9)[:30],
              pk.udp4(9)[:34]]  # fmt: skip


def xdp_expected() -> tuple[list[int], dict[int, tuple[int, int]]]:
    """What the XDP counter's comment promises for XDP_FRAMES."""
    verdicts: list[int] = []
    counts: dict[int, tuple[int, int]] = {}
    for frame in XDP_FRAMES:
        verdicts.append(int(XdpAction.DROP if len(frame) < 14 else XdpAction.PASS))
        if len(frame) >= 34 and frame[12:14] == b"\x08\x00":
            packets, size = counts.get(frame[23], (0, 0))
            counts[frame[23]] = (packets + 1, size + len(frame))
    return verdicts, counts


def test_xdp_counter_in_the_interpreter(built: dict[str, ObjectFile]) -> None:
    obj = built["xdp_counter"]
    interp = Interpreter(obj.programs[0].insns, obj.maps, hook="xdp")
    verdicts, counts = xdp_expected()
    assert [interp.run_packet(f).r0 for f in [*XDP_FRAMES, b"\0" * 13]] == [*verdicts, XdpAction.DROP]
    per_proto = interp.maps[0]
    assert per_proto is not None
    found = {struct.unpack("<I", k)[0]: struct.unpack("<QQ", v)
             for k, v in per_proto.items() if any(v)}
    assert found == counts


def test_xdp_counter_in_the_kernel(built: dict[str, ObjectFile], kernel: None) -> None:
    from chamelio.ebpf.kernel.objects import KernelObject

    obj = built["xdp_counter"]
    verdicts, counts = xdp_expected()
    with KernelObject(obj) as kobj:
        assert [kobj.run(f).retval for f in XDP_FRAMES] == verdicts
        dumped = kobj.dump()["per_proto"]
    found = {struct.unpack("<I", k)[0]: struct.unpack("<QQ", v) for k, v in dumped.items()}
    assert found == counts


BAD_XDP = """\
#include "chamelio.h"

SEC(SEC_XDP)
int no_bounds_check(struct xdp_md *ctx)
{
\tunsigned char *frame = (void *)(long)ctx->data;

\treturn frame[12] == 0x08 ? XDP_PASS : XDP_DROP;
}

LICENSE("GPL");
"""


def test_a_missing_bounds_check_is_rejected_at_its_source_line(tmp_path: Path) -> None:
    from chamelio.verify import verify_object

    write_header(tmp_path)
    (tmp_path / "bad.c").write_text(BAD_XDP)
    obj = load_object(compile_c(tmp_path / "bad.c", tmp_path / "bad.o", tmp_path))
    report = verify_object(obj, profile="xdp")
    print(report.format())
    assert not report.accepted and report.error is not None
    error = report.to_json()["error"]
    assert error["line"] is not None and "frame[12]" in error["line"], error


def test_the_kernel_rejects_it_too(tmp_path: Path, kernel: None) -> None:
    from chamelio.ebpf.kernel import VerifierRejected
    from chamelio.ebpf.kernel.objects import KernelObject

    write_header(tmp_path)
    (tmp_path / "bad.c").write_text(BAD_XDP)
    obj = load_object(compile_c(tmp_path / "bad.c", tmp_path / "bad.o", tmp_path))
    with pytest.raises(VerifierRejected):
        KernelObject(obj).close()
