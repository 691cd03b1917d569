"""The reference interpreter: semantics the conformance suite leaves out, the checked memory
model (every trap names the pc, the instruction and the address), contexts, calls, maps and
helpers."""

from __future__ import annotations

import struct

import pytest

from chamelio.abi import HelperEnv
from chamelio.ebpf import isa
from chamelio.ebpf.asm import assemble
from chamelio.ebpf.interp import MAX_CALL_FRAMES, FlowIo, Interpreter, RunResult, run_conformance
from chamelio.ebpf.isa import Insn, InvalidProgram
from chamelio.ebpf.maps import create_map
from chamelio.ebpf.memory import Trap
from chamelio.errors import ChamelioError

U64 = (1 << 64) - 1


def run(src: str, mem: bytes = b"", **kw) -> RunResult:
    return Interpreter(assemble(src), **kw).run_mem(mem)


def r0(src: str, mem: bytes = b"", **kw) -> int:
    return run(src, mem, **kw).r0


def trap(src: str, mem: bytes = b"", *, packet: bytes | None = None, **kw) -> Trap:
    interp = Interpreter(assemble(src), **kw)
    with pytest.raises(Trap) as info:
        if packet is None:
            interp.run_mem(mem)
        else:
            interp.run_packet(packet)
    assert info.value.exit_code == 1
    return info.value


def u64s(*values: int) -> bytes:
    return b"".join(struct.pack("<Q", v & U64) for v in values)


# --------------------------------------------------------------------- semantics
@pytest.mark.parametrize(
    ("op", "dividend", "divisor", "expected"),
    [
        ("div", 7, 0, 0),
        ("mod", 7, 0, 7),
        ("div32", 0x1_0000_0007, 0x1_0000_0000, 0),  # divisor's low half is 0
        ("mod32", 0xFFFF_FFFF_0000_0007, 0x1_0000_0000, 7),  # dividend's low half
        ("sdiv", -(1 << 63), -1, 1 << 63),
        ("smod", -(1 << 63), -1, 0),
        ("sdiv", -7, 2, -3),
        ("smod", -7, 2, -1),
        ("smod", 7, -2, 1),
        ("sdiv32", 0x8000_0000, 0xFFFF_FFFF, 0x8000_0000),
        ("smod32", 0x1_8000_0005, 0, 0x8000_0005),
    ],
)
def test_division_with_operands_read_from_memory(op, dividend, divisor, expected):
    src = f"ldxdw %r0, [%r1]\nldxdw %r2, [%r1+8]\n{op} %r0, %r2\nexit"
    assert r0(src, u64s(dividend, divisor)) == expected & U64


@pytest.mark.parametrize(
    ("op", "value", "amount", "expected"),
    [
        ("lsh", 1, 65, 2),  # amounts are masked to the width
        ("rsh32", 0xFFFF_FFFF_8000_0000, 33, 0x4000_0000),
        ("arsh32", 0x8000_0000, 4, 0xF800_0000),
        ("arsh", 1 << 63, 63 + 64, U64),
    ],
)
def test_shifts_by_amounts_read_from_memory(op, value, amount, expected):
    src = f"ldxdw %r0, [%r1]\nldxdw %r2, [%r1+8]\n{op} %r0, %r2\nexit"
    assert r0(src, u64s(value, amount)) == expected


def test_alu32_zero_extends_and_movsx_ldsx_sign_extend():
    assert r0("lddw %r0, 0xffffffffffffffff\nadd32 %r0, 1\nexit") == 0
    assert r0("mov %r1, 0x80\nmovsx864 %r0, %r1\nexit") == U64 - 0x7F
    assert r0("mov %r1, 0x8000\nmovsx1632 %r0, %r1\nexit") == 0xFFFF_8000
    assert r0("ldxsb %r0, [%r1]\nexit", b"\xfe") == U64 - 1


def test_byte_swaps():
    assert r0("lddw %r0, 0x1122334455667788\nbe16 %r0\nexit") == 0x8877
    assert r0("lddw %r0, 0x1122334455667788\nle32 %r0\nexit") == 0x55667788
    assert r0("lddw %r0, 0x1122334455667788\nbswap64 %r0\nexit") == 0x8877665544332211


def test_atomics_fetch_xchg_and_cmpxchg32_zero_extend():
    src = """
    stdw [%r10-8], 5
    mov %r1, 3
    lock fetch add [%r10-8], %r1
    ldxdw %r2, [%r10-8]
    lsh %r2, 8
    or %r1, %r2
    mov %r0, %r1
    exit
    """
    assert r0(src) == (8 << 8) | 5
    assert r0("stw [%r10-4], 9\nmov %r1, 4\nlock xchg32 [%r10-4], %r1\nldxw %r0, [%r10-4]\n"
              "lsh %r0, 8\nor %r0, %r1\nexit") == 0x409  # fmt: skip
    src = """
    stw [%r10-4], -1
    lddw %r0, 0x12345678ffffffff
    mov %r1, 7
    lock cmpxchg32 [%r10-4], %r1
    ldxw %r2, [%r10-4]
    jne %r2, 7, fail
    exit
    fail:
    mov %r0, 0
    exit
    """
    assert r0(src) == 0xFFFF_FFFF  # matched on the low half; r0 = old value, zero-extended


# --------------------------------------------------------------------- traps
def test_trap_names_pc_instruction_and_address():
    err = trap("mov %r0, 0\nldxw %r0, [%r1+2]\nexit", b"\x01\x02\x03\x04")
    assert err.pc == 1
    assert str(err).startswith("pc 1: ldxw %r0, [%r1+2]: load from 4 byte(s) at 0x20000002")
    assert "runs 2 byte(s) past the end of input memory" in str(err)


@pytest.mark.parametrize(
    ("src", "pc", "needle"),
    [
        ("ldxdw %r0, [%r10-520]\nexit", 0, "before stack"),
        ("ldxdw %r0, [%r10]\nexit", 0, "past the end of stack"),
        ("mov %r1, 0\nldxb %r0, [%r1+8]\nexit", 1, "null pointer"),
        ("lddw %r1, 0x123456789\nstb [%r1], 1\nexit", 2, "outside every region"),
        ("call 99\nexit", 0, "unknown helper 99"),
        ("ja +5\nexit", 0, "jump to slot 6, outside the program"),
        ("jeq %r1, 0, -3\nexit", 0, "jump to slot -2"),
        ("mov %r0, 0", 1, "without an exit"),
        ("ja +1\nlddw %r0, 1\nexit", 2, "middle of the lddw at pc 1"),
        ("mov %r10, 0\nexit", 0, "r10 (the frame pointer) is read-only"),
        ("lddw %r1, map_fd(0)\nexit", 0, "program has 0 map(s)"),
        ("call kfunc 7\nexit", 0, "kfunc"),
    ],
)
def test_traps(src, pc, needle):
    err = trap(src)
    assert err.pc == pc and needle in str(err), str(err)


def test_instruction_limit_traps_instead_of_hanging():
    err = trap("mov %r0, 0\nloop:\nadd %r0, 1\nja loop\nexit", insn_limit=1000)
    assert "instruction limit of 1000" in str(err) and err.hint
    assert run("mov %r0, 1\nexit", insn_limit=2).r0 == 1


def test_counts_executed_instructions_with_lddw_as_one():
    result = run("lddw %r0, 5\nmov %r1, 3\nloop:\nsub %r1, 1\njne %r1, 0, loop\nexit")
    assert result.r0 == 5 and result.insns == 1 + 1 + 3 * 2 + 1


def test_malformed_programs_are_bad_input_not_traps():
    with pytest.raises(InvalidProgram) as info:
        Interpreter([Insn(0xFF)])
    assert info.value.exit_code == 2
    with pytest.raises(ChamelioError, match="empty program"):
        Interpreter([])


# --------------------------------------------------------------------- contexts
XDP_PROLOGUE = "ldxw %r2, [%r1]\nldxw %r3, [%r1+4]\n"


def test_xdp_context_fields_load_as_packet_pointers():
    src = XDP_PROLOGUE + "mov %r0, %r3\nsub %r0, %r2\nldxw %r4, [%r1+12]\nlsh %r4, 32\nor %r0, %r4\nexit"
    result = Interpreter(assemble(src), hook="xdp").run_packet(bytes(60))
    assert result.r0 == (1 << 32) | 60  # data_end - data; ingress_ifindex 1 (lo), as the kernel


def test_xdp_bounds_check_writes_packet_and_traps_past_the_end():
    src = XDP_PROLOGUE + """
    mov %r4, %r2
    add %r4, 14
    jgt %r4, %r3, out
    ldxb %r0, [%r2+13]
    stb [%r2], 0xaa
    exit
    out:
    mov %r0, 1
    exit
    """
    interp = Interpreter(assemble(src), hook="xdp")
    assert interp.run_packet(bytes(range(20))).packet == b"\xaa" + bytes(range(1, 20))
    assert interp.run_packet(bytes(10)).r0 == 1
    err = trap(XDP_PROLOGUE + "ldxb %r0, [%r2+20]\nexit", hook="xdp", packet=bytes(20))
    assert "past the end of packet" in str(err)


@pytest.mark.parametrize(
    ("src", "needle"),
    [
        ("ldxb %r0, [%r1]\nexit", "no field of xdp_md"),
        ("ldxdw %r0, [%r1]\nexit", "no field of xdp_md"),
        ("stw [%r1+12], 1\nexit", "read-only field xdp_md.ingress_ifindex"),
        ("ldxw %r0, [%r1+24]\nexit", "past the end of context"),
        (XDP_PROLOGUE + "lock add [%r2], %r0\nexit", "atomic operation on the packet"),
    ],
)
def test_context_access_rules(src, needle):
    assert needle in str(trap(src, hook="xdp", packet=bytes(20)))


def test_chamelio_context_has_64_bit_pointers_and_flow_state():
    src = """
    ldxdw %r2, [%r1+16]
    jeq %r2, 0, none
    ldxw %r3, [%r1+60]
    stw [%r2], 0x77
    ldxdw %r4, [%r1+24]
    ldxb %r0, [%r4+12]
    exit
    none:
    mov %r0, 3
    exit
    """
    interp = Interpreter(assemble(src), hook="rx")
    result = interp.run_packet(bytes(64), flow=bytes(8), pflow=bytes(12) + b"\x06" + bytes(35))
    assert result.r0 == 6 and result.flow == b"\x77\0\0\0" + bytes(4)
    assert interp.run_packet(bytes(64)).r0 == 3
    writer = Interpreter(assemble("ldxdw %r2, [%r1+24]\nstb [%r2], 1\nexit"), hook="rx")
    with pytest.raises(Trap, match=r"provider flow state \[.*\) is read-only"):
        writer.run_packet(bytes(64), pflow=bytes(48))


def test_chamelio_context_offsets_come_from_the_packet():
    eth = bytes(12) + b"\x08\x00"
    ip = bytes([0x45, 0, 0, 40, 0, 0, 0, 0, 64, 17, 0, 0]) + bytes(8)
    src = "ldxh %r0, [%r1+48]\nldxb %r2, [%r1+50]\nlsh %r2, 16\nor %r0, %r2\nexit"
    result = Interpreter(assemble(src), hook="rx").run_packet(eth + ip + bytes(8))
    assert result.r0 == (17 << 16) | (14 + 20 + 8)


def test_socket_filter_ld_abs_sees_the_network_header():
    packet = bytes(12) + b"\x08\x00" + bytes([0x45, 0x00, 0x12, 0x34])
    interp = Interpreter(assemble("ldabsh 2\nexit"), hook="socket_filter")
    assert interp.run_packet(packet).r0 == 0x1234
    assert Interpreter(assemble("ldabsw 2\nmov %r0, 9\nexit"), hook="socket").run_packet(packet).r0 == 0


# --------------------------------------------------------------------- calls
def test_local_call_fresh_frame_preserves_r6_to_r9_and_reaches_caller_stack():
    src = """
    stdw [%r10-8], 40
    mov %r6, 6
    mov %r1, %r10
    add %r1, -8
    call local f
    add %r0, %r6
    exit
    f:
    ldxdw %r0, [%r10-8]
    ldxdw %r2, [%r1]
    add %r0, %r2
    mov %r6, 100
    exit
    """
    assert r0(src) == 0 + 40 + 6  # the callee's fp-8 is a fresh zeroed frame


def test_call_depth_limit_and_dead_frames():
    deep = "call local f\nexit\nf:\ncall local f\nexit"
    err = trap(deep)
    assert f"call depth limit exceeded ({MAX_CALL_FRAMES} frames)" in str(err)
    ok = "call local f1\nexit\n" + "".join(f"f{i}:\ncall local f{i + 1}\nexit\n" for i in range(1, 7))
    assert run(ok + "f7:\nmov %r0, 7\nexit").r0 == 7  # 8 frames in all is allowed
    dangling = "call local f\nldxdw %r0, [%r0]\nexit\nf:\nmov %r0, %r10\nadd %r0, -8\nexit"
    assert "its function has returned" in str(trap(dangling))


def test_callx_calls_function_addresses_and_helpers():
    src = "lddw %r2, func(f)\ncallx %r2\nexit\nf:\nmov %r0, 42\nexit"
    assert r0(src) == 42
    assert r0("mov %r2, 5\ncallx %r2\nmov %r0, 1\nexit") == 1
    assert "unknown helper 4000" in str(trap("mov %r2, 4000\ncallx %r2\nexit"))


def test_may_goto_falls_through_until_the_budget_runs_out():
    insns = assemble("mov %r0, 0\nloop:\nadd %r0, 1\nmay_goto +1\nja loop\nexit")
    assert insns[2].opcode == isa.OP_MAY_GOTO
    assert Interpreter(insns, may_goto_limit=1000).run_mem().r0 == 1001
    assert Interpreter(insns).may_goto_limit == 1 << 23  # the kernel's BPF_MAX_LOOPS


# --------------------------------------------------------------------- maps, helpers
MAP_PROGRAM = """
stw [%r10-4], 3
lddw %r1, map_fd(0)
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, miss
ldxdw %r1, [%r0]
add %r1, 1
stxdw [%r0], %r1
mov %r0, %r1
exit
miss:
mov %r0, 0xfff
exit
"""


def test_map_lookup_returns_a_pointer_into_the_stored_value():
    counters = create_map("array", 4, 8, 4)
    interp = Interpreter(assemble(MAP_PROGRAM), [counters], hook="xdp")
    assert [interp.run_packet(bytes(14)).r0 for _ in range(3)] == [1, 2, 3]
    assert counters.get((3).to_bytes(4, "little")) == (3).to_bytes(8, "little")
    small = create_map("array", 4, 8, 2)
    assert Interpreter(assemble(MAP_PROGRAM), [small]).run_mem().r0 == 0xFFF


def test_map_value_bounds_and_use_after_delete_trap():
    over = MAP_PROGRAM.replace("ldxdw %r1, [%r0]", "ldxdw %r1, [%r0+4]")
    err = trap(over, maps=[create_map("array", 4, 8, 4)])
    assert "past the end of value of array map" in str(err)
    src = """
    stw [%r10-4], 1
    stdw [%r10-16], 9
    lddw %r1, map_fd(0)
    mov %r2, %r10
    add %r2, -4
    mov %r3, %r10
    add %r3, -16
    mov %r4, 0
    call 2
    lddw %r1, map_fd(0)
    mov %r2, %r10
    add %r2, -4
    call 1
    mov %r6, %r0
    lddw %r1, map_fd(0)
    mov %r2, %r10
    add %r2, -4
    call 3
    ldxdw %r0, [%r6]
    exit
    """
    h = create_map("hash", 4, 8, 4)
    err = trap(src, maps=[h])
    assert err.pc == 21 and "use after delete" in str(err)


def test_map_value_lddw_and_read_only_maps():
    data = create_map("array", 4, 16, 1, initial=b"\x05" + bytes(15))
    assert r0("lddw %r1, map_value(0, 8)\nldxb %r0, [%r1-8]\nexit", maps=[data]) == 5
    rodata = create_map("array", 4, 4, 1, flags=0x80, name=".rodata")
    err = trap("lddw %r1, map_value(0, 0)\nstb [%r1], 1\nexit", maps=[rodata])
    assert "read-only" in str(err)


def test_helpers_allowed_by_hook_only():
    err = trap("call 1003\nexit", hook="xdp", packet=bytes(14))
    assert "helper emit (1003) is not allowed in hook xdp" in str(err)
    assert "in helper map_lookup_elem" in str(trap("mov %r1, 77\ncall 1\nexit"))


def test_time_random_checksum_and_flow_helpers():
    assert r0("call 5\nexit", clock=lambda: 12345) == 12345
    a = r0("call 7\nexit", seed=1)
    assert a == r0("call 7\nexit", seed=1) and a < 1 << 32
    csum = "stw [%r10-4], 0x01020304\nmov %r1, 0\nmov %r2, 0\nmov %r3, %r10\nadd %r3, -4\n" \
           "mov %r4, 4\nmov %r5, 0\ncall 28\nexit"  # fmt: skip
    assert r0(csum) == 0x0102 + 0x0304  # the 32-bit sum folded to 16 bits, as Linux >= 6.12
    io = FlowIo(rx_capacity=3)
    src = "mov %r6, %r1\nldxdw %r2, [%r6]\nmov %r3, 5\ncall 1001\nmov %r7, %r0\n" \
          "mov %r1, %r6\nmov %r2, 9\ncall 1004\nmov %r0, %r7\nexit"  # fmt: skip
    result = Interpreter(assemble(src), hook="rx", io=io).run_packet(b"hello world")
    assert result.r0 == 3 and io.rx == b"hel" and io.events == [9]


def test_interpreter_is_a_helper_env_and_a_conformance_engine():
    env: HelperEnv = Interpreter(assemble("exit"))
    assert env.map_value_size is not None
    assert run_conformance(assemble("mov %r0, %r2\nexit"), b"abc") == 3
