"""``BPF_PROG_TEST_RUN``: run a loaded program once or ``repeat`` times on given bytes.

The kernel builds the context itself (an ``xdp_buff`` for XDP, an ``sk_buff`` for socket
filters and tc programs), optionally seeded from ``ctx_in``, and reports the program's
return value, the packet as the program left it, and the average duration per run.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import ClassVar, NoReturn

from chamelio.ebpf.kernel.constants import (
    ETH_HLEN,
    PACKET_PROG_TYPES,
    Cmd,
    ProgType,
    prog_type_name,
)
from chamelio.ebpf.kernel.errors import KernelError
from chamelio.ebpf.kernel.syscall import Attr, Buffer, bpf, fail

# Room left after the input for a program that grows the packet (bpf_xdp_adjust_head/_tail,
# bpf_skb_change_tail ...); the kernel copies only the real length back.
OUTPUT_SLACK = 64 * 1024
# Room for ctx_out: larger than any context structure (``struct __sk_buff`` is 192 bytes).
CTX_OUT_MIN = 4096
_ENOTSUPP = 524


@dataclass(frozen=True, slots=True)
class TestRunResult:
    """What ``BPF_PROG_TEST_RUN`` reported.

    ``retval`` is the program's return value as the kernel's u32; ``duration_ns`` the
    kernel's average over ``repeat`` runs. ``data_out`` is the packet after the program;
    ``data_size`` is its full length, larger than ``len(data_out)`` only when the output
    buffer was too small (see :attr:`truncated`). ``ctx_out`` is the context after the run
    when a ``ctx_in`` was given (``None`` otherwise, or when the data was truncated).
    Socket-filter programs see the packet from its network header, and the kernel hands
    back the Ethernet header zeroed.
    """

    __test__: ClassVar[bool] = False  # not a pytest test class, despite the name

    retval: int
    data_out: bytes
    duration_ns: int
    ctx_out: bytes | None = None
    data_size: int = 0

    @property
    def truncated(self) -> bool:
        return self.data_size > len(self.data_out)


def _check_u32(label: str, value: int, low: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value < 2**32:
        raise KernelError(f"test run {label} must be an integer in [{low}, 2**32), not {value!r}")


def run_program(
    prog_fd: int,
    prog_type: int,
    data: bytes,
    repeat: int = 1,
    ctx_in: bytes | None = None,
    data_out_size: int | None = None,
    flags: int = 0,
) -> TestRunResult:
    """Issue ``BPF_PROG_TEST_RUN`` for the program behind ``prog_fd`` (see :class:`TestRunResult`)."""
    kind = prog_type_name(prog_type)
    data = bytes(data)
    _check_u32("repeat", repeat, low=1)
    _check_u32("flags", flags)
    if prog_type in PACKET_PROG_TYPES and len(data) < ETH_HLEN:
        raise KernelError(
            f"{kind} test runs need at least {ETH_HLEN} bytes of data (ETH_HLEN, an Ethernet "
            f"header); got {len(data)}",
            hint="the kernel refuses shorter packets with EINVAL; pad the packet to a full frame",
        )
    out_size = len(data) + OUTPUT_SLACK if data_out_size is None else data_out_size
    _check_u32("data_out_size", out_size)
    data_in = Buffer(data)
    data_out = Buffer(out_size)
    ctx_buffer = Buffer(bytes(ctx_in)) if ctx_in is not None else None
    ctx_out = Buffer(max(len(ctx_in), CTX_OUT_MIN)) if ctx_in is not None else None

    attr = Attr()
    attr.u32(0, prog_fd)
    attr.u32(8, data_in.size)
    attr.u32(12, data_out.size)
    attr.ptr(16, data_in if data_in.size else None)
    attr.ptr(24, data_out if data_out.size else None)
    attr.u32(32, repeat)
    if ctx_buffer is not None and ctx_out is not None and ctx_buffer.size:
        attr.u32(40, ctx_buffer.size)
        attr.u32(44, ctx_out.size)
        attr.ptr(48, ctx_buffer)
        attr.ptr(56, ctx_out)
    attr.u32(64, flags)

    _, err = bpf(Cmd.PROG_TEST_RUN, attr)
    if err and err != errno.ENOSPC:
        _run_failed(kind, prog_type, len(data), ctx_in, err)
    size = attr.get_u32(12)
    ctx = None
    if ctx_out is not None and not err:
        ctx = ctx_out.read(attr.get_u32(44))
    return TestRunResult(
        retval=attr.get_u32(4),
        data_out=data_out.read(size),
        duration_ns=attr.get_u32(36),
        ctx_out=ctx,
        data_size=size,
    )


def _run_failed(kind: str, prog_type: int, size: int, ctx_in: bytes | None, err: int) -> NoReturn:
    what = f"{kind} program, {size} bytes of data"
    if ctx_in is not None:
        what += f", {len(ctx_in)} bytes of ctx_in"
    hint = None
    if err == _ENOTSUPP:
        hint = f"the kernel has no test run for {kind} programs (it runs xdp, socket_filter, sched_cls ...)"
    elif err == errno.EINVAL:
        causes = []
        if prog_type == ProgType.XDP:
            causes.append(
                "XDP data larger than one page (about 3500 bytes) needs a recent kernel or a "
                "program loaded with BPF_F_XDP_HAS_FRAGS"
            )
        elif prog_type in PACKET_PROG_TYPES:
            causes.append(
                f"packet data must fit in one page less headroom (about 3500 bytes; got {size})"
            )
        if ctx_in is not None:
            causes.append("ctx_in sets fields the kernel does not accept for this program type")
        causes.append("flags the program type does not support")
        hint = "; or ".join(causes)
    fail(Cmd.PROG_TEST_RUN, err, what, hint)
