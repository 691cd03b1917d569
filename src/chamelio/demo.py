"""``make demo``: the compiler at work, judged by the Linux kernel.

Compiles an example handler written in ``chamelio.lang`` to an eBPF object, verifies it (safety
and worst-case cost), loads it into the kernel with ``bpf(2)``, runs it on a handful of packets with ``BPF_PROG_TEST_RUN``, and prints
the kernel's verdicts next to those of the plain-Python run of the same source and of
Chamelio's reference interpreter. Exits 0 when all three agree on every packet and map.

Usage: ``python -m chamelio.demo [EXAMPLE.py] [--entry NAME]``.
"""

from __future__ import annotations

import argparse
import os
import stat
import struct
import sys
import types
from collections.abc import Callable
from pathlib import Path

from chamelio.errors import ChamelioError

DEFAULT_EXAMPLE = Path("examples/tcp_flags.py")
XDP_NAMES = {0: "ABORTED", 1: "DROP", 2: "PASS", 3: "TX", 4: "REDIRECT"}


# ---- packets ------------------------------------------------------------------------------

def _csum(data: bytes) -> int:
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ethernet(ethertype: int, payload: bytes) -> bytes:
    return bytes.fromhex("020000000002" "020000000001") + struct.pack("!H", ethertype) + payload


def ipv4(proto: int, payload: bytes, src: str = "10.0.0.1", dst: str = "10.0.0.2") -> bytes:
    saddr = bytes(int(x) for x in src.split("."))
    daddr = bytes(int(x) for x in dst.split("."))
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, saddr, daddr)
    header = header[:10] + struct.pack("!H", _csum(header)) + header[12:]
    return header + payload


def tcp(flags: int, sport: int = 40000, dport: int = 80) -> bytes:
    return struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, flags, 65535, 0, 0)


def udp(dport: int, payload: bytes = b"hello") -> bytes:
    return struct.pack("!HHHH", 5353, dport, 8 + len(payload), 0) + payload


def demo_packets() -> list[tuple[str, bytes]]:
    syn, ack, fin, rst, psh = 0x02, 0x10, 0x01, 0x04, 0x08
    return [
        ("TCP SYN", ethernet(0x0800, ipv4(6, tcp(syn)))),
        ("TCP SYN+ACK", ethernet(0x0800, ipv4(6, tcp(syn | ack)))),
        ("TCP PSH+ACK", ethernet(0x0800, ipv4(6, tcp(psh | ack)))),
        ("TCP FIN+ACK", ethernet(0x0800, ipv4(6, tcp(fin | ack)))),
        ("TCP RST", ethernet(0x0800, ipv4(6, tcp(rst)))),
        ("TCP SYN+FIN (invalid)", ethernet(0x0800, ipv4(6, tcp(syn | fin)))),
        ("TCP no flags (null scan)", ethernet(0x0800, ipv4(6, tcp(0)))),
        ("UDP to port 53", ethernet(0x0800, ipv4(17, udp(53)))),
        ("ARP", ethernet(0x0806, bytes(28))),
        ("truncated IPv4", ethernet(0x0800, ipv4(6, tcp(syn)))[:30]),
    ]


# ---- the three executions -----------------------------------------------------------------

def load_module(path: Path) -> types.ModuleType:
    """Import the example; a missing, unreadable or broken file is a ChamelioError."""
    from chamelio.cli.cmd_compile import import_file

    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ChamelioError(f"no such example: {path}",
                            hint="run the demo from the project's root") from None
    except OSError as exc:
        raise ChamelioError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise ChamelioError(f"{path} is not a regular file", hint="give a chamelio.lang .py file")
    return import_file(os.fspath(path))


def find_entry(module: types.ModuleType, name: str | None) -> Callable[..., int]:
    """The module's XDP handler: the one named, else its only function taking an ``XdpCtx``."""
    from chamelio.lang import XdpCtx
    from chamelio.lang.compiler.api import entry_function, handler_candidates

    if name is not None:
        return entry_function(module, name)
    candidates = [fn for fn in handler_candidates(module)
                  if next(iter(fn.__annotations__.values()), None) is XdpCtx]
    if len(candidates) != 1:
        names = ", ".join(c.__name__ for c in candidates) or "none"
        raise ChamelioError(f"cannot tell the XDP handler of {module.__file__} (candidates: {names})",
                            hint="pass --entry NAME")
    return candidates[0]


def python_maps(module: types.ModuleType) -> dict[str, dict[bytes, bytes]]:
    from chamelio.lang import ArrayMap, HashMap

    out: dict[str, dict[bytes, bytes]] = {}
    for name, obj in vars(module).items():
        if isinstance(obj, ArrayMap | HashMap):
            items = obj.raw_items()
            if isinstance(obj, ArrayMap):
                items = {k: v for k, v in items.items() if any(v)}
            out[name] = items
    return out


def _fmt_map(items: dict[bytes, bytes]) -> str:
    def num(b: bytes) -> str:
        return str(int.from_bytes(b, "little")) if len(b) <= 8 else b.hex()
    return "{" + ", ".join(f"{num(k)}: {num(v)}" for k, v in sorted(items.items())) + "}"


def run(example: Path, entry: str | None) -> int:
    from chamelio.ebpf.elf import load_object
    from chamelio.ebpf.interp import Interpreter
    from chamelio.ebpf.kernel import kernel_available
    from chamelio.ebpf.kernel.objects import KernelObject
    from chamelio.lang import XdpCtx, compile_bpf

    module = load_module(example)
    handler = find_entry(module, entry)
    print(f"1. compile {example} (entry {handler.__name__}) to eBPF, cpu v3")
    obj_bytes = compile_bpf(handler, hook="xdp")
    obj = load_object(obj_bytes, name=str(example))
    prog = obj.program(handler.__name__)
    print(f"   {len(obj_bytes)} bytes of ELF: {len(prog.insns)} instruction slots in section "
          f"{prog.section!r}, maps: {', '.join(m.name for m in obj.maps) or 'none'}")
    from chamelio.verify import verify_object

    report = verify_object(obj_bytes, program=prog.name, profile="xdp")
    if report.accepted:
        print(f"   Chamelio's verifier: safe, worst-case cost {report.cost} per packet "
              f"(budget {report.budget})")
    else:
        print("   Chamelio's verifier rejects it:\n" + report.format())

    packets = demo_packets()
    py = []
    for desc, data in packets:
        try:
            py.append(int(handler(XdpCtx.from_packet(data))))
        except Exception as exc:
            raise ChamelioError(f"{handler.__name__} raised {type(exc).__name__}: {exc} on the "
                                f"packet {desc!r}, run as plain Python") from None
    interp = Interpreter(prog.insns, obj.maps, hook="xdp")
    it = [interp.run_packet(data).r0 for _, data in packets]

    ok, reason = kernel_available()
    kern: list[int | None] = [None] * len(packets)
    kernel_maps: dict[str, dict[bytes, bytes]] | None = None
    if ok:
        with KernelObject(obj, prog.name, prog_type="xdp") as loaded:
            stats = loaded.prog.log.strip().splitlines()[-1:] or ["accepted"]
            print(f"2. load into the Linux kernel with bpf(2): verifier says \"{stats[0]}\"")
            kern = [loaded.run(data).retval for _, data in packets]
            kernel_maps = loaded.dump()
    else:
        print(f"2. the Linux kernel is not available here ({reason}); comparing Python and the "
              "interpreter only")

    print("3. run each packet: plain Python vs Linux kernel (BPF_PROG_TEST_RUN) vs interpreter\n")
    width = max(len(d) for d, _ in packets)
    print(f"   {'packet':<{width}}  {'python':<9} {'kernel':<9} {'interp':<9} agree")
    agree_all = True
    for (desc, _), p, k, i in zip(packets, py, kern, it, strict=True):
        agree = p == i and (k is None or k == p)
        agree_all &= agree
        kname = "—" if k is None else XDP_NAMES.get(k, str(k))
        print(f"   {desc:<{width}}  {XDP_NAMES.get(p, str(p)):<9} {kname:<9} "
              f"{XDP_NAMES.get(i, str(i)):<9} {'yes' if agree else 'NO'}")

    print("\n4. map contents after the run (key: value)")
    pmaps = python_maps(module)
    imaps = {m.name: dict(bm.items()) for m, bm in zip(obj.maps, interp.maps, strict=True) if bm}
    for name, items in pmaps.items():
        print(f"   {name:<12} python {_fmt_map(items)}")
        if kernel_maps is not None:
            kitems = kernel_maps.get(name, {})
            print(f"   {'':<12} kernel {_fmt_map(kitems)}")
            agree_all &= kitems == items
        iitems = {k: v for k, v in imaps.get(name, {}).items() if any(v)}
        print(f"   {'':<12} interp {_fmt_map(iitems)}")
        agree_all &= iitems == {k: v for k, v in items.items() if any(v)}
    print("\n" + ("all executions agree." if agree_all else "MISMATCH between executions."))
    return 0 if agree_all else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chamelio.demo", description=__doc__.splitlines()[0])
    parser.add_argument("example", nargs="?", type=Path, default=DEFAULT_EXAMPLE,
                        help=f"a chamelio.lang module with one XDP handler (default {DEFAULT_EXAMPLE})")
    parser.add_argument("--entry", help="the handler function, when the module has several")
    args = parser.parse_args(argv)
    try:
        return run(args.example, args.entry)
    except ChamelioError as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("demo: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last resort: a bug, reported without a traceback
        if os.environ.get("CHAMELIO_TRACEBACK") == "1":
            raise
        print(f"demo: internal error: {type(exc).__name__}: {exc} (this is a bug; please report "
              "it)\n  hint: set CHAMELIO_TRACEBACK=1 for the traceback", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
