"""Disassembler to the bpf_conformance text syntax (the inverse of :mod:`chamelio.ebpf.asm`).

``disassemble(insns)`` returns one line per instruction (a ``lddw`` pair is one line).
Every line re-assembles to the identical bytes: slots that are not a valid encoding are
written as ``.raw 0x<word>``. With ``labels=True`` jump and call targets become labels
(``L<pc>:`` lines are inserted before their targets).
"""

from __future__ import annotations

from chamelio.ebpf import isa
from chamelio.ebpf.asm import PSEUDO_NAMES
from chamelio.ebpf.isa import Insn

_PSEUDO_BY_SRC = {src: name for name, src in PSEUDO_NAMES.items()}
_SIZE_BY_CODE = {code: sfx for code, sfx in isa.SIZE_SUFFIX.items()}


def _word(insn: Insn) -> str:
    """``.raw`` with the slot as the little-endian 64-bit word ``-- raw`` sections use."""
    word = insn.opcode | (insn.dst | insn.src << 4) << 8 | (insn.off & 0xFFFF) << 16
    return f".raw {word | (insn.imm & 0xFFFFFFFF) << 32:#018x}"


def _mem(reg: int, off: int) -> str:
    if off == 0:
        return f"[%r{reg}]"
    return f"[%r{reg}{off:+d}]"


def _rel(delta: int) -> str:
    return f"{delta:+d}"


def _alu(insn: Insn) -> str:
    cls, op, x = insn.cls, insn.op, insn.source == isa.BPF_X
    sfx = "32" if cls == isa.BPF_ALU else ""
    d = f"%r{insn.dst}"
    if op == isa.BPF_END:
        if cls == isa.BPF_ALU64:
            return f"bswap{insn.imm} {d}"
        return f"{'be' if x else 'le'}{insn.imm} {d}"
    if op == isa.BPF_NEG:
        return f"neg{sfx} {d}"
    name = isa.ALU_OPS[op]
    if op in (isa.BPF_DIV, isa.BPF_MOD) and insn.off == 1:
        name = "s" + name
    if op == isa.BPF_MOV and x and insn.off:
        return f"movsx{insn.off}{'32' if sfx else '64'} {d}, %r{insn.src}"
    src = f"%r{insn.src}" if x else str(insn.imm)
    return f"{name}{sfx} {d}, {src}"


def _jmp(insn: Insn) -> str:
    cls, op, x = insn.cls, insn.op, insn.source == isa.BPF_X
    if op == isa.BPF_JA:
        return f"ja32 {_rel(insn.imm)}" if cls == isa.BPF_JMP32 else f"ja {_rel(insn.off)}"
    if op == isa.BPF_EXIT:
        return "exit"
    if op == isa.BPF_JCOND:
        return f"may_goto {_rel(insn.off)}"
    if op == isa.BPF_CALL:
        if x:
            return f"call %r{insn.dst}"
        if insn.src == isa.BPF_PSEUDO_CALL:
            return f"call local {_rel(insn.imm)}"
        if insn.src == isa.BPF_PSEUDO_KFUNC_CALL:
            return f"call kfunc {insn.imm}"
        return f"call {insn.imm}"
    sfx = "32" if cls == isa.BPF_JMP32 else ""
    src = f"%r{insn.src}" if x else str(insn.imm)
    return f"{isa.JMP_OPS[op]}{sfx} %r{insn.dst}, {src}, {_rel(insn.off)}"


def _load_store(insn: Insn) -> str:
    cls, mode, sfx = insn.cls, insn.mode, _SIZE_BY_CODE[insn.size]
    if cls == isa.BPF_LD:
        if mode == isa.BPF_ABS:
            return f"ldabs{sfx} {insn.imm}"
        return f"ldind{sfx} %r{insn.src}, {insn.imm}"
    if cls == isa.BPF_LDX:
        s = "s" if mode == isa.BPF_MEMSX else ""
        return f"ldx{s}{sfx} %r{insn.dst}, {_mem(insn.src, insn.off)}"
    if cls == isa.BPF_ST:
        return f"st{sfx} {_mem(insn.dst, insn.off)}, {insn.imm}"
    operands = f"{_mem(insn.dst, insn.off)}, %r{insn.src}"
    if mode == isa.BPF_ATOMIC:
        width = "32" if insn.size == isa.BPF_W else ""
        imm = insn.imm
        if imm in (isa.BPF_XCHG, isa.BPF_CMPXCHG):
            return f"lock {isa.ATOMIC_OPS[imm]}{width} {operands}"
        fetch = "fetch " if imm & isa.BPF_FETCH else ""
        return f"lock {fetch}{isa.ATOMIC_OPS[imm & ~isa.BPF_FETCH]}{width} {operands}"
    return f"stx{sfx} {operands}"


def _lddw(first: Insn) -> str:
    value = first.imm64 or 0
    if first.src == 0:
        return f"lddw %r{first.dst}, {value:#x}"
    low, high = isa.Insn(0, imm=value & 0xFFFFFFFF).imm, value >> 32
    name = _PSEUDO_BY_SRC[first.src]
    low_text = _rel(low) if name == "func" else str(low)
    args = low_text if high == 0 else f"{low_text}, {high:#x}"
    return f"lddw %r{first.dst}, {name}({args})"


def format_insn(insn: Insn) -> str:
    """The text of one valid instruction (not a lddw; see :func:`disassemble`)."""
    if insn.cls in (isa.BPF_ALU, isa.BPF_ALU64):
        return _alu(insn)
    if insn.cls in (isa.BPF_JMP, isa.BPF_JMP32):
        return _jmp(insn)
    return _load_store(insn)


def _target(pc: int, insn: Insn) -> int | None:
    """The slot a jump, local call or func lddw at ``pc`` refers to, or ``None``."""
    cls, op = insn.cls, insn.op
    if cls == isa.BPF_JMP32 and op == isa.BPF_JA:
        return pc + insn.imm + 1
    if cls in (isa.BPF_JMP, isa.BPF_JMP32):
        if op == isa.BPF_CALL:
            is_local = insn.source == isa.BPF_K and insn.src == isa.BPF_PSEUDO_CALL
            return pc + insn.imm + 1 if is_local else None
        if op == isa.BPF_EXIT:
            return None
        return pc + insn.off + 1
    if insn.is_lddw and insn.src == isa.BPF_PSEUDO_FUNC and insn.imm64 is not None:
        return pc + insn.imm + 1 if insn.imm64 >> 32 == 0 else None
    return None


def _lines(insns: list[Insn]) -> list[tuple[int, str, int | None]]:
    """(pc, text, target) per instruction; invalid slots become ``.raw`` lines."""
    out: list[tuple[int, str, int | None]] = []
    pc = 0
    while pc < len(insns):
        insn = insns[pc]
        if insn.is_lddw:
            pair_ok = (
                pc + 1 < len(insns)
                and insn.imm64 is not None
                and insn.dst < isa.NUM_REGS
                and isa.check_lddw(insn, insns[pc + 1]) is None
                and insns[pc + 1].imm == isa.Insn(0, imm=insn.imm64 >> 32).imm
            )
            if pair_ok:
                out.append((pc, _lddw(insn), _target(pc, insn)))
                pc += 2
                continue
            out.append((pc, _word(insn), None))
            pc += 1
            continue
        if isa.check_insn(insn) is None and insn.dst < isa.NUM_REGS and insn.src < isa.NUM_REGS:
            out.append((pc, format_insn(insn), _target(pc, insn)))
        else:
            out.append((pc, _word(insn), None))
        pc += 1
    return out


def disassemble(insns: list[Insn], *, labels: bool = False) -> list[str]:
    """One line of assembly per instruction; re-assembles to the identical bytes."""
    lines = _lines(insns)
    if not labels:
        return [text for _, text, _ in lines]
    starts = {pc for pc, _, _ in lines}
    targets = {t for _, _, t in lines if t is not None and t in starts}
    out: list[str] = []
    for pc, text, target in lines:
        if pc in targets:
            out.append(f"L{pc}:")
        if target is not None and target in targets:
            text = _relabel(text, target)
        out.append(text)
    return out


def _relabel(text: str, target: int) -> str:
    """Replace the trailing relative target (``+N``/``-N``) of ``text`` with a label."""
    if text.startswith("lddw"):
        head, _, _ = text.rpartition("(")
        return f"{head}(L{target})"
    head, sep, _ = text.rpartition(" ")
    return f"{head}{sep}L{target}"


def disassemble_text(insns: list[Insn], *, labels: bool = False) -> str:
    """The disassembly as text, one instruction per line (with a final newline)."""
    lines = disassemble(insns, labels=labels)
    return "\n".join(lines) + ("\n" if lines else "")
