"""The kernel oracle: load programs, read the verifier log, test-run them.

Instructions are written by hand (``struct.pack("<BBhi", ...)``) so these tests depend on
nothing but the kernel.
"""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chamelio.ebpf.kernel import (
    BPF_PSEUDO_MAP_FD,
    BPF_PSEUDO_MAP_VALUE,
    ETH_HLEN,
    XDP_ABORTED,
    XDP_DROP,
    XDP_PASS,
    XDP_REDIRECT,
    XDP_TX,
    KernelError,
    KernelMap,
    KernelUnavailable,
    LoadedProgram,
    VerifierRejected,
    kernel_available,
    load_program,
    patch_map_fds,
    prog_type_of,
)
from chamelio.errors import ChamelioError, EnvironmentUnavailable


def ins(opcode: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", opcode, dst | src << 4, off, imm)


def lddw(dst: int, src: int, imm: int, high: int = 0) -> bytes:
    return ins(0x18, dst, src, 0, imm) + ins(0, 0, 0, 0, high)


def mov_imm(dst: int, imm: int) -> bytes:
    return ins(0xB7, dst, imm=imm)


EXIT = ins(0x95)
PACKET = bytes(range(ETH_HLEN)) + b"chamelio payload"


def returning(value: int) -> bytes:
    return mov_imm(0, value) + EXIT


# -- loading ----------------------------------------------------------------------------


@pytest.mark.parametrize("verdict", [XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT])
def test_xdp_returns_each_verdict(kernel, verdict):
    with load_program(returning(verdict), "xdp", name="verdict") as prog:
        result = prog.test_run(PACKET)
    assert result.retval == verdict
    assert result.data_out == PACKET
    assert not result.truncated


def test_successful_load_keeps_the_verifier_log(kernel):
    with load_program(returning(XDP_PASS), "xdp") as prog:
        assert "processed 2 insns" in prog.log
        assert prog.insn_count == 2
        assert prog.prog_type == prog_type_of("xdp") == 6
    with load_program(returning(XDP_PASS), "xdp", log_level=0) as quiet:
        assert quiet.log == ""


def test_log_buffer_grows_until_the_log_fits(kernel):
    body = b"".join(ins(0x07, 0, imm=1) for _ in range(40))  # r0 += 1, forty times
    with load_program(mov_imm(0, 0) + body + EXIT, "xdp", log_level=2, log_size=128) as prog:
        assert len(prog.log) > 128
        assert "processed 42 insns" in prog.log


def test_closed_program_is_reported(kernel):
    prog = load_program(returning(XDP_PASS), "xdp")
    fd = prog.fd
    prog.close()
    assert prog.closed
    with pytest.raises(OSError):
        os.fstat(fd)
    with pytest.raises(KernelError, match="closed"):
        prog.test_run(PACKET)
    prog.close()  # closing twice is harmless


# -- refusals carry the verifier log ------------------------------------------------------


def test_uninitialised_r0_is_rejected_with_the_log(kernel):
    with pytest.raises(VerifierRejected) as info:
        load_program(EXIT, "xdp")
    error = info.value
    assert error.errno == 13  # EACCES
    assert error.command == "BPF_PROG_LOAD"
    assert "R0 !read_ok" in error.log
    assert "R0 !read_ok" in str(error)
    assert "EACCES" in str(error)
    assert isinstance(error, ChamelioError)


def test_unchecked_packet_access_is_rejected(kernel):
    code = ins(0x61, 2, 1, 0) + ins(0x71, 0, 2, 0) + EXIT  # r2 = ctx->data; r0 = *(u8 *)r2
    with pytest.raises(VerifierRejected, match="invalid access to packet"):
        load_program(code, "xdp")


def test_jump_out_of_range_is_einval_with_the_log(kernel):
    with pytest.raises(VerifierRejected) as info:
        load_program(ins(0x05, off=5) + EXIT, "xdp")
    assert info.value.errno == 22  # EINVAL
    assert "jump out of range" in info.value.log


def test_refusal_without_log_level_still_carries_the_log(kernel):
    with pytest.raises(VerifierRejected) as info:
        load_program(EXIT, "xdp", log_level=0)
    assert "R0 !read_ok" in info.value.log


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (b"", "empty"),
        (returning(0) + b"\x95", "whole number of 8-byte instructions"),
    ],
)
def test_malformed_programs_are_refused_before_the_kernel(code, message):
    with pytest.raises(KernelError, match=message) as info:
        load_program(code, "xdp")
    assert info.value.errno is None


def test_unknown_program_type_and_bad_name_are_refused():
    with pytest.raises(KernelError, match="unknown program type 'nope'") as info:
        load_program(returning(0), "nope")
    assert "xdp" in str(info.value)  # the hint lists the known types
    with pytest.raises(KernelError, match="invalid program name"):
        load_program(returning(0), "xdp", name="has space")
    with pytest.raises(KernelError, match="invalid program name"):
        load_program(returning(0), "xdp", name="x" * 16)


# -- test runs ----------------------------------------------------------------------------

# r2 = data; r3 = data_end; if data + 14 > data_end: return XDP_DROP
# data[0] = 0xaa; data[13] += 1; return XDP_TX
REWRITE = b"".join(
    [
        ins(0x61, 2, 1, 0),
        ins(0x61, 3, 1, 4),
        ins(0xBF, 4, 2),
        ins(0x07, 4, imm=ETH_HLEN),
        mov_imm(0, XDP_DROP),
        ins(0x2D, 4, 3, off=5),
        ins(0x72, 2, 0, 0, 0xAA),
        ins(0x71, 5, 2, 13),
        ins(0x07, 5, imm=1),
        ins(0x73, 2, 5, 13),
        mov_imm(0, XDP_TX),
        EXIT,
    ]
)


def test_xdp_program_rewrites_the_packet(kernel):
    with load_program(REWRITE, "xdp") as prog:
        result = prog.test_run(PACKET)
    assert result.retval == XDP_TX
    expected = bytearray(PACKET)
    expected[0] = 0xAA
    expected[13] += 1
    assert result.data_out == bytes(expected)


def test_packet_grown_by_adjust_head_comes_back_whole(kernel):
    # r2 = -4; r0 = bpf_xdp_adjust_head(ctx, -4); return r0 == 0 ? XDP_PASS : XDP_ABORTED
    code = mov_imm(2, -4) + ins(0x85, imm=44) + ins(0x55, 0, off=2) + returning(XDP_PASS)
    code += returning(XDP_ABORTED)
    with load_program(code, "xdp") as prog:
        grown = prog.test_run(PACKET)
        short = prog.test_run(PACKET, data_out_size=len(PACKET))
    assert grown.retval == XDP_PASS
    assert len(grown.data_out) == len(PACKET) + 4
    assert grown.data_out[4:] == PACKET
    assert short.truncated
    assert short.data_size == len(PACKET) + 4
    assert len(short.data_out) == len(PACKET)


def test_xdp_data_shorter_than_ethernet_header_is_refused(kernel):
    with load_program(returning(XDP_PASS), "xdp") as prog:
        with pytest.raises(KernelError, match="at least 14 bytes") as info:
            prog.test_run(PACKET[:13])
        assert "ETH_HLEN" in str(info.value)
        with pytest.raises(KernelError, match="at least 14 bytes"):
            prog.test_run(b"")


@pytest.mark.parametrize("repeat", [0, -1, 2**32])
def test_bad_repeat_is_refused(kernel, repeat):
    with (
        load_program(returning(XDP_PASS), "xdp") as prog,
        pytest.raises(KernelError, match="repeat"),
    ):
        prog.test_run(PACKET, repeat=repeat)


def test_socket_filter_sees_the_packet_from_its_network_header(kernel):
    code = ins(0x61, 0, 1, 0) + EXIT  # return skb->len
    with load_program(code, "socket_filter") as prog:
        result = prog.test_run(PACKET)
    assert result.retval == len(PACKET) - ETH_HLEN
    assert result.data_out[ETH_HLEN:] == PACKET[ETH_HLEN:]
    assert result.data_out[:ETH_HLEN] == bytes(ETH_HLEN)  # the kernel zeroes the L2 header


def test_sched_cls_sees_the_whole_frame(kernel):
    code = ins(0x61, 0, 1, 0) + EXIT  # return skb->len
    with load_program(code, "sched_cls") as prog:
        result = prog.test_run(PACKET)
    assert result.retval == len(PACKET)
    assert result.data_out == PACKET


def test_socket_filter_reads_ctx_in_and_returns_ctx_out(kernel):
    code = ins(0x61, 0, 1, 8) + EXIT  # return skb->mark
    ctx = bytearray(12)
    struct.pack_into("<I", ctx, 8, 77)
    with load_program(code, "socket_filter") as prog:
        result = prog.test_run(PACKET, ctx_in=bytes(ctx))
    assert result.retval == 77
    assert result.ctx_out is not None
    assert struct.unpack_from("<I", result.ctx_out, 8)[0] == 77


def test_socket_filter_packet_larger_than_a_page_is_einval(kernel):
    with (
        load_program(returning(0), "socket_filter") as prog,
        pytest.raises(KernelError, match="BPF_PROG_TEST_RUN failed") as info,
    ):
        prog.test_run(bytes(8000))
    assert info.value.errno == 22
    assert "one page" in str(info.value)


def test_program_type_without_test_run_is_reported(kernel):
    with (
        load_program(returning(0), "kprobe") as prog,
        pytest.raises(KernelError, match="ENOTSUPP") as info,
    ):
        prog.test_run(PACKET)
    assert "kprobe" in str(info.value)


# r1 = &map; key = 0; r0 = bpf_map_lookup_elem(r1, &key); if r0: lock *(u64 *)r0 += 1
# return XDP_PASS
COUNTER = b"".join(
    [
        lddw(1, BPF_PSEUDO_MAP_FD, 0),
        ins(0x62, 10, 0, -4, 0),
        ins(0xBF, 2, 10),
        ins(0x07, 2, imm=-4),
        ins(0x85, imm=1),
        ins(0x15, 0, off=2),
        mov_imm(1, 1),
        ins(0xDB, 0, 1, 0, 0),
        returning(XDP_PASS),
    ]
)
ZERO_KEY = bytes(4)


def test_repeat_runs_the_program_that_many_times(kernel):
    with KernelMap.create("array", 4, 8, 1, name="counter") as counter:
        code = patch_map_fds(COUNTER, {0: counter.fd})
        with load_program(code, "xdp") as prog:
            result = prog.test_run(PACKET, repeat=1000)
            assert result.retval == XDP_PASS
            assert isinstance(result.duration_ns, int)
            assert result.duration_ns > 0
            assert counter.lookup(ZERO_KEY) == struct.pack("<Q", 1000)
            prog.test_run(PACKET)
            assert counter.lookup(ZERO_KEY) == struct.pack("<Q", 1001)


def test_percpu_counter_sums_to_repeat(kernel):
    with KernelMap.create("percpu_array", 4, 8, 1) as counter:
        with load_program(patch_map_fds(COUNTER, {0: counter.fd}), "xdp") as prog:
            prog.test_run(PACKET, repeat=250)
        slots = counter.lookup_percpu(ZERO_KEY)
        assert slots is not None
        assert sum(struct.unpack("<Q", slot)[0] for slot in slots) == 250


def test_map_value_pointer_is_patched_and_written(kernel):
    # r1 = &value[0] + 8 (lddw src=2, next imm = offset); *(u64 *)r1 = 7; return XDP_PASS
    code = lddw(1, BPF_PSEUDO_MAP_VALUE, 0, high=8) + mov_imm(2, 7) + ins(0x7B, 1, 2, 0)
    code += returning(XDP_PASS)
    with KernelMap.create("array", 4, 16, 1) as values:
        with load_program(patch_map_fds(code, {0: values.fd}), "xdp") as prog:
            prog.test_run(PACKET)
        assert values.lookup(ZERO_KEY) == bytes(8) + struct.pack("<Q", 7)


def test_unpatched_map_reference_is_rejected(kernel):
    code = COUNTER.replace(lddw(1, BPF_PSEUDO_MAP_FD, 0), lddw(1, BPF_PSEUDO_MAP_FD, 100000))
    with pytest.raises(VerifierRejected) as info:
        load_program(code, "xdp")
    assert info.value.errno == 9  # EBADF: no such map fd


# -- patch_map_fds: pure byte manipulation --------------------------------------------------


def test_patch_map_fds_rewrites_only_map_references():
    code = (
        lddw(1, BPF_PSEUDO_MAP_FD, 0)
        + lddw(2, BPF_PSEUDO_MAP_VALUE, 1, high=16)
        + lddw(3, 0, 1, high=5)  # a plain 64-bit constant keeps its immediate
        + returning(0)
    )
    patched = patch_map_fds(code, {0: 7, 1: 9})
    assert patched == (
        lddw(1, BPF_PSEUDO_MAP_FD, 7)
        + lddw(2, BPF_PSEUDO_MAP_VALUE, 9, high=16)
        + lddw(3, 0, 1, high=5)
        + returning(0)
    )


def test_patch_map_fds_reports_bad_input():
    with pytest.raises(KernelError, match="map index 3") as info:
        patch_map_fds(lddw(1, BPF_PSEUDO_MAP_FD, 3) + EXIT, {0: 5})
    assert "0" in (info.value.hint or "")
    with pytest.raises(KernelError, match="truncated"):
        patch_map_fds(returning(0) + ins(0x18, 1, BPF_PSEUDO_MAP_FD), {0: 5})
    with pytest.raises(KernelError, match="whole number"):
        patch_map_fds(b"\x18\x10", {})


# -- availability ---------------------------------------------------------------------------


def test_kernel_available_reports_a_reason():
    ok, reason = kernel_available()
    assert isinstance(ok, bool)
    assert reason
    assert kernel_available() == (ok, reason)  # cached


def test_unprivileged_process_is_told_why(kernel):
    if os.geteuid() != 0:
        pytest.skip("needs root to drop privileges in a child process")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: drop root, ask again, report, exit without cleanup
        code = 1
        try:
            os.close(read_end)
            os.setgid(65534)
            os.setuid(65534)
            kernel_available.cache_clear()
            available, reason = kernel_available()
            try:
                load_program(returning(0), "xdp")
                kind = "loaded"
            except KernelUnavailable as exc:
                kind = f"unavailable:{isinstance(exc, EnvironmentUnavailable)}:{exc.errno}"
            os.write(write_end, f"{available}|{kind}|{reason}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        report = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    ok, kind, reason = report.split("|", 2)
    assert ok == "False"
    assert kind == "unavailable:True:1"
    assert "EPERM" in reason


def test_loaded_program_repr_names_type_and_state(kernel):
    prog = load_program(returning(0), "socket_filter", name="f")
    assert isinstance(prog, LoadedProgram)
    assert "socket_filter program 'f'" in repr(prog)
    prog.close()
    assert "closed" in repr(prog)


# -- arbitrary input never escapes as anything but a KernelError ------------------------------


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=st.lists(st.binary(min_size=8, max_size=8), min_size=1, max_size=12))
def test_arbitrary_instructions_load_or_are_rejected(kernel, words):
    code = b"".join(words)
    try:
        prog = load_program(code, "xdp")
    except VerifierRejected as exc:
        assert exc.errno is not None
        assert exc.command == "BPF_PROG_LOAD"
        return
    with prog:
        result = prog.test_run(PACKET)
        assert result.data_size >= 0


@given(data=st.binary(max_size=64), fds=st.dictionaries(st.integers(0, 3), st.integers(0, 2**31)))
def test_patch_map_fds_on_arbitrary_bytes_raises_only_kernel_error(data, fds):
    try:
        patched = patch_map_fds(data, fds)
    except KernelError:
        return
    assert len(patched) == len(data)
