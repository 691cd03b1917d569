"""Translate a program into one Python closure per slot, for the interpreter's main loop.

Each handler performs its instruction on the interpreter's registers and memory and
returns the next pc (``-1`` once the entry function exits). Everything that can be decided
before running is decided here: operand tables, immediates, jump targets. A problem that
only matters if the instruction runs (a jump out of the program, an unknown helper, a write
to r10) becomes a handler that raises :class:`~chamelio.ebpf.memory.Fault` when executed.

Slot layout of the handler list: ``0..n-1`` the program (the second slot of a ``lddw``
faults: only a bad jump lands there), ``n`` "ran past the end", then one handler per
out-of-range jump target, each reporting the pc of its jump.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chamelio.ebpf import isa
from chamelio.ebpf.alu import ALU32, ALU64, JMP32, JMP64, U32, U64, atomic, end, sext
from chamelio.ebpf.isa import Insn
from chamelio.ebpf.memory import CODE_BASE, Fault, RegionKind

if TYPE_CHECKING:
    from chamelio.ebpf.interp import Interpreter

Handler = Callable[[], int]


def fault(message: str, pc: int | None = None) -> Handler:
    def handler() -> int:
        raise Fault(message, pc)

    return handler


def translate(m: Interpreter) -> list[Handler]:
    insns = m.insns
    n = len(insns)
    code: list[Handler] = []
    extra: list[Handler] = []

    def target(pc: int, dest: int) -> int:
        if 0 <= dest <= n:
            return dest
        extra.append(fault(f"jump to slot {dest}, outside the program (slots 0..{n - 1})", pc))
        return n + len(extra)

    pc = 0
    while pc < n:
        insn = insns[pc]
        if insn.is_lddw:
            code.append(_lddw(m, pc, insn, insns[pc + 1]))
            code.append(fault(f"jump into the middle of the lddw at pc {pc}"))
            pc += 2
            continue
        cls = insn.cls
        if cls in (isa.BPF_ALU, isa.BPF_ALU64):
            code.append(_alu(m, pc, insn))
        elif cls in (isa.BPF_JMP, isa.BPF_JMP32):
            code.append(_jmp(m, pc, insn, target))
        elif cls == isa.BPF_LD:
            code.append(_ld_legacy(m, pc, insn))
        else:
            code.append(_mem(m, pc, insn))
        pc += 1
    code.append(fault(f"execution ran past the last instruction (pc {n - 1}) without an exit"))
    code.extend(extra)
    return code


# ----------------------------------------------------------------------- ALU
def _alu(m: Interpreter, pc: int, insn: Insn) -> Handler:
    regs = m.regs
    d, s, nxt = insn.dst, insn.src, pc + 1
    if d == 10:
        return fault("r10 (the frame pointer) is read-only")
    wide = insn.cls == isa.BPF_ALU64
    op = insn.op
    if op == isa.BPF_END:
        cls, source, width = insn.cls, insn.source, insn.imm

        def h_end() -> int:
            regs[d] = end(cls, source, width, regs[d])
            return nxt

        return h_end
    if op == isa.BPF_MOV and insn.source == isa.BPF_X and insn.off:
        bits, mask = insn.off, U64 if wide else U32

        def h_movsx() -> int:
            regs[d] = sext(regs[s], bits) & mask
            return nxt

        return h_movsx
    key = op | 1 if op in (isa.BPF_DIV, isa.BPF_MOD) and insn.off == 1 else op
    f = (ALU64 if wide else ALU32)[key]
    if insn.source == isa.BPF_X:

        def h_reg() -> int:
            regs[d] = f(regs[d], regs[s])
            return nxt

        return h_reg
    b = insn.imm & (U64 if wide else U32)
    if op == isa.BPF_MOV:

        def h_mov() -> int:
            regs[d] = b
            return nxt

        return h_mov

    def h_imm() -> int:
        regs[d] = f(regs[d], b)
        return nxt

    return h_imm


# ----------------------------------------------------------------------- jumps
def _jmp(m: Interpreter, pc: int, insn: Insn, target: Callable[[int, int], int]) -> Handler:
    regs = m.regs
    d, s, nxt, op = insn.dst, insn.src, pc + 1, insn.op
    if op == isa.BPF_JA:
        t = target(pc, pc + (insn.imm if insn.cls == isa.BPF_JMP32 else insn.off) + 1)
        return lambda: t
    if op == isa.BPF_EXIT:
        return m.ret
    if op == isa.BPF_CALL:
        if insn.source == isa.BPF_X:
            return _callx(m, pc, d)
        if insn.src == isa.BPF_PSEUDO_CALL:
            t = target(pc, pc + insn.imm + 1)
            return lambda: m.call(nxt, t)
        if insn.src == isa.BPF_PSEUDO_KFUNC_CALL:
            return fault(f"kernel function calls (kfunc btf id {insn.imm}) are not supported")
        return _helper(m, pc, insn.imm)
    if op == isa.BPF_JCOND:
        t = target(pc, pc + insn.off + 1)

        def h_may_goto() -> int:
            if m.may_goto_budget <= 0:
                return t
            m.may_goto_budget -= 1
            return nxt

        return h_may_goto
    cond = (JMP64 if insn.cls == isa.BPF_JMP else JMP32)[op]
    t = target(pc, pc + insn.off + 1)
    if insn.source == isa.BPF_X:
        return lambda: t if cond(regs[d], regs[s]) else nxt
    b = insn.imm & U64
    return lambda: t if cond(regs[d], b) else nxt


def _helper(m: Interpreter, pc: int, helper_id: int) -> Handler:
    helper = m.helpers.get(helper_id)
    if helper is None:
        return fault(f"call to unknown helper {helper_id}")
    if m.hook is not None and not m.hook.allows(helper_id):
        allowed = ", ".join(h.name for h in m.hook.helpers)
        return fault(f"helper {helper.name} ({helper_id}) is not allowed in hook {m.hook.name} "
                     f"(allowed: {allowed})")  # fmt: skip
    regs, impl, name, nxt = m.regs, helper.impl, helper.name, pc + 1

    def h_call() -> int:
        try:
            regs[0] = impl(m, (regs[1], regs[2], regs[3], regs[4], regs[5])) & U64
        except Fault as exc:
            raise Fault(f"in helper {name}: {exc.message}") from None
        return nxt

    return h_call


def _callx(m: Interpreter, pc: int, reg: int) -> Handler:
    """``callx %rN``: a subprogram address (``lddw`` src 4) or else a helper id."""
    regs, n = m.regs, len(m.insns)

    def h_callx() -> int:
        value = regs[reg]
        off = value - CODE_BASE
        if 0 <= off < 8 * n and off % 8 == 0:
            return m.call(pc + 1, off // 8)
        if value >= 1 << 32:
            raise Fault(f"r{reg}={value:#x} is neither a subprogram address nor a helper id")
        return _helper(m, pc, value)()

    return h_callx


# ----------------------------------------------------------------------- memory
def _lddw(m: Interpreter, pc: int, first: Insn, second: Insn) -> Handler:
    regs, d, nxt, src = m.regs, first.dst, pc + 2, first.src
    if d == 10:
        return fault("r10 (the frame pointer) is read-only")
    if src == 0:
        value = (first.imm64 if first.imm64 is not None else first.uimm) & U64
    elif src in (isa.BPF_PSEUDO_MAP_FD, isa.BPF_PSEUDO_MAP_IDX,
                 isa.BPF_PSEUDO_MAP_VALUE, isa.BPF_PSEUDO_MAP_IDX_VALUE):  # fmt: skip
        index = first.imm
        if not 0 <= index < len(m.maps):
            return fault(f"lddw refers to map index {index}, but the program has "
                         f"{len(m.maps)} map(s)")  # fmt: skip
        if index in m.map_problems:
            return fault(f"map {index}: {m.map_problems[index]}")
        if src in (isa.BPF_PSEUDO_MAP_FD, isa.BPF_PSEUDO_MAP_IDX):
            value = m.map_ref(index)
        else:
            offset = second.imm & U32

            def h_map_value() -> int:
                regs[d] = m.map_value_pointer(index, offset)
                return nxt

            return h_map_value
    elif src == isa.BPF_PSEUDO_FUNC:
        dest = pc + first.imm + 1
        if not 0 <= dest < len(m.insns):
            return fault(f"lddw of a function at slot {dest}, outside the program")
        value = CODE_BASE + 8 * dest
    else:
        return fault(f"lddw source {src} (kernel variables by BTF id) is not supported")

    def h_lddw() -> int:
        regs[d] = value
        return nxt

    return h_lddw


def _mem(m: Interpreter, pc: int, insn: Insn) -> Handler:
    regs, mem = m.regs, m.mem
    d, s, off, nxt = insn.dst, insn.src, insn.off, pc + 1
    size = isa.SIZE_BYTES[insn.size]
    load, store = mem.load, mem.store
    cls, mode = insn.cls, insn.mode
    if cls == isa.BPF_LDX:
        if d == 10:
            return fault("r10 (the frame pointer) is read-only")
        if mode == isa.BPF_MEMSX:
            bits = 8 * size

            def h_ldsx() -> int:
                regs[d] = sext(load((regs[s] + off) & U64, size), bits) & U64
                return nxt

            return h_ldsx

        def h_ldx() -> int:
            regs[d] = load((regs[s] + off) & U64, size)
            return nxt

        return h_ldx
    if cls == isa.BPF_ST:
        imm = insn.imm

        def h_st() -> int:
            store((regs[d] + off) & U64, size, imm)
            return nxt

        return h_st
    if mode == isa.BPF_MEM:

        def h_stx() -> int:
            store((regs[d] + off) & U64, size, regs[s])
            return nxt

        return h_stx
    return _atomic(m, pc, insn, size)


def _atomic(m: Interpreter, pc: int, insn: Insn, size: int) -> Handler:
    regs, mem = m.regs, m.mem
    d, s, off, nxt, op = insn.dst, insn.src, insn.off, pc + 1, insn.imm
    width = 8 * size
    mask = (1 << width) - 1

    def h_atomic() -> int:
        region, at = mem.resolve((regs[d] + off) & U64, size, True)
        if region.kind in (RegionKind.CTX, RegionKind.PACKET):
            raise Fault(f"atomic operation on the {region.kind.value} is not allowed")
        old = int.from_bytes(region.data[at : at + size], "little")
        if op == isa.BPF_CMPXCHG:
            new = regs[s] & mask if old == regs[0] & mask else old
            regs[0] = old
        else:
            new = atomic(op, old, regs[s], width)
            if op & isa.BPF_FETCH:
                regs[s] = old
        region.data[at : at + size] = new.to_bytes(size, "little")
        return nxt

    if op & isa.BPF_FETCH and op != isa.BPF_CMPXCHG and s == 10:
        return fault("r10 (the frame pointer) is read-only")
    return h_atomic


def _ld_legacy(m: Interpreter, pc: int, insn: Insn) -> Handler:
    """``ld_abs``/``ld_ind``: a big-endian packet load into r0; out of bounds ends the
    program with r0 = 0, as the kernel does."""
    regs, s, imm, nxt = m.regs, insn.src, insn.imm, pc + 1
    size = isa.SIZE_BYTES[insn.size]
    indirect = insn.mode == isa.BPF_IND

    def h_ld_packet() -> int:
        packet = m.packet
        if packet is None:
            raise Fault("legacy packet load needs a packet (run with --hook and --packet)")
        at = imm + (sext(regs[s], 32) if indirect else 0)
        if at < 0 or at + size > packet.size:
            regs[0] = 0
            m.frames.clear()
            return -1
        regs[0] = int.from_bytes(packet.data[at : at + size], "big")
        return nxt

    return h_ld_packet
