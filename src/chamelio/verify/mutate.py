"""Program mutations for fuzzing the verifier's soundness.

Each mutation takes a (usually safe) program and returns a near neighbour that is often
unsafe: a bounds or null check dropped or made off by one, an offset widened, an
initialisation removed, a pointer stored, returned or mangled, the context written, a jump
bent backwards into a loop or out of the program. The soundness tests verify every mutant
and run the ones the verifier accepts in the checked interpreter: an accepted mutant that
traps (or runs longer than its proven bound) is a verifier bug.

Mutants are always structurally valid (:func:`chamelio.ebpf.isa.validate` passes), so the
verifier sees a well-formed instruction stream and must find the problem by itself.

Example::

    rng = random.Random(7)
    mutant = mutate(insns, rng)                  # None if no mutation applies
    if mutant is not None:
        print(mutant.kind, mutant.pc, mutant.note)
        report = verify(mutant.insns, "xdp")
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from chamelio.ebpf import isa
from chamelio.ebpf.isa import Insn

_S16 = (-(1 << 15), (1 << 15) - 1)
_S32 = (-(1 << 31), (1 << 31) - 1)
_OFF_BY_ONE = {
    isa.BPF_JGT: isa.BPF_JGE, isa.BPF_JGE: isa.BPF_JGT,
    isa.BPF_JLT: isa.BPF_JLE, isa.BPF_JLE: isa.BPF_JLT,
    isa.BPF_JSGT: isa.BPF_JSGE, isa.BPF_JSGE: isa.BPF_JSGT,
    isa.BPF_JSLT: isa.BPF_JSLE, isa.BPF_JSLE: isa.BPF_JSLT,
}  # fmt: skip
_WIDEN = (1, 2, 4, 8, 16, 64, 256, 4096, -1, -8, -64, -512)
_STACK_OOB = (-520, -513, -512 - 8, 0, 8, 16, -1)
_PTR_OPS = (isa.BPF_MUL, isa.BPF_OR, isa.BPF_AND, isa.BPF_XOR, isa.BPF_LSH, isa.BPF_RSH,
            isa.BPF_DIV, isa.BPF_MOD, isa.BPF_ARSH, isa.BPF_NEG)  # fmt: skip
_NOP = Insn(isa.OP_JA)  # ja +0


@dataclass(frozen=True, slots=True)
class Mutant:
    """A mutated program: ``kind`` names the mutation, ``pc`` the slot it changed."""

    kind: str
    pc: int
    insns: list[Insn]
    note: str = ""

    def describe(self) -> str:
        return f"{self.kind} at pc {self.pc}" + (f" ({self.note})" if self.note else "")


Mutation = Callable[[Sequence[Insn], random.Random], "Mutant | None"]


# ---------------------------------------------------------------------- program structure
def slots(insns: Sequence[Insn]) -> list[int]:
    """The pcs of real instructions (the second slot of a ``lddw`` is left out)."""
    out: list[int] = []
    pc = 0
    while pc < len(insns):
        out.append(pc)
        pc += 2 if insns[pc].is_lddw else 1
    return out


def is_cond_jump(insn: Insn) -> bool:
    return insn.cls in (isa.BPF_JMP, isa.BPF_JMP32) and insn.op in isa.JMP_OPS


def _is_goto(insn: Insn) -> bool:
    return insn.cls in (isa.BPF_JMP, isa.BPF_JMP32) and insn.op == isa.BPF_JA


def _is_mem(insn: Insn) -> bool:
    return insn.cls in (isa.BPF_LDX, isa.BPF_ST, isa.BPF_STX) and insn.mode in (
        isa.BPF_MEM, isa.BPF_MEMSX, isa.BPF_ATOMIC)


def jump_target(pc: int, insn: Insn) -> int | None:
    """Where the instruction at ``pc`` may jump (or call, or take the address of)."""
    if insn.is_lddw:
        return pc + insn.imm + 1 if insn.src == isa.BPF_PSEUDO_FUNC else None
    if insn.cls not in (isa.BPF_JMP, isa.BPF_JMP32):
        return None
    if insn.op == isa.BPF_CALL:
        return pc + insn.imm + 1 if insn.src == isa.BPF_PSEUDO_CALL else None
    if insn.op == isa.BPF_EXIT:
        return None
    if insn.opcode == isa.OP_JA32:
        return pc + insn.imm + 1
    return pc + insn.off + 1


def _retarget(insn: Insn, delta: int) -> Insn | None:
    """``insn`` with its relative target ``delta`` (None if it does not fit)."""
    uses_imm = insn.opcode in (isa.OP_JA32, isa.OP_CALL) or insn.is_lddw
    lo, hi = _S32 if uses_imm else _S16
    if not lo <= delta <= hi:
        return None
    if insn.is_lddw:
        high = (insn.imm64 or 0) >> 32
        return Insn(insn.opcode, insn.dst, insn.src, 0, imm64=(high << 32) | (delta & 0xFFFFFFFF))
    if uses_imm:
        return Insn(insn.opcode, insn.dst, insn.src, insn.off, delta)
    return Insn(insn.opcode, insn.dst, insn.src, delta, insn.imm)


def insert(insns: Sequence[Insn], at: int, new: Sequence[Insn]) -> list[Insn] | None:
    """``new`` inserted before slot ``at``, every jump fixed up. A jump to ``at`` lands on
    the inserted code. None when a fixed offset no longer fits its field."""
    k = len(new)
    out: list[Insn] = []
    for pc, insn in enumerate(insns):
        if pc == at:
            out.extend(new)
        target = None if pc > 0 and insns[pc - 1].is_lddw else jump_target(pc, insn)
        if target is not None:
            new_pc = pc if pc < at else pc + k
            new_target = target if target <= at else target + k
            fixed = _retarget(insn, new_target - new_pc - 1)
            if fixed is None:
                return None
            insn = fixed
        out.append(insn)
    if at >= len(insns):
        out.extend(new)
    return out


def _replace(insns: Sequence[Insn], pc: int, insn: Insn) -> list[Insn]:
    out = list(insns)
    out[pc] = insn
    return out


def _pick(rng: random.Random, insns: Sequence[Insn], want: Callable[[Insn], bool]) -> int | None:
    candidates = [pc for pc in slots(insns) if not insns[pc].is_lddw and want(insns[pc])]
    return rng.choice(candidates) if candidates else None


def _with(insn: Insn, **fields: int) -> Insn | None:
    values = {"opcode": insn.opcode, "dst": insn.dst, "src": insn.src, "off": insn.off,
              "imm": insn.imm} | fields  # fmt: skip
    try:
        return Insn(**values)
    except ValueError:
        return None


# ---------------------------------------------------------------------------- mutations
def drop_check(insns: Sequence[Insn], rng: random.Random) -> Mutant | None:
    """A register-register comparison (the shape of a packet bounds check) decided one way."""
    pc = _pick(rng, insns, lambda i: is_cond_jump(i) and i.source == isa.BPF_X)
    if pc is None:
        return None
    taken = rng.random() < 0.5
    insn = Insn(isa.OP_JA, off=insns[pc].off) if taken else _NOP
    return Mutant("drop_check", pc, _replace(insns, pc, insn), "always taken" if taken else "never taken")


def skip_null_check(insns: Sequence[Insn], rng: random.Random) -> Mutant | None:
    """A comparison with 0 (the shape of a null check) decided one way."""
    pc = _pick(rng, insns, lambda i: is_cond_jump(i) and i.source == isa.BPF_K and i.imm == 0
               and i.op in (isa.BPF_JEQ, isa.BPF_JNE))  # fmt: skip
    if pc is None:
        return None
    taken = rng.random() < 0.5
    insn = Insn(isa.OP_JA, off=insns[pc].off) if taken else _NOP
    return Mutant("skip_null_check", pc, _replace(insns, pc, insn),
                  "always taken" if taken else "never taken")  # fmt: skip


def off_by_one(insns: Sequence[Insn], rng: random.Random) -> Mutant | None:
    """``>`` becomes ``>=`` (and so on), or a compared constant moves by one."""
    pc = _pick(rng, insns, lambda i: is_cond_jump(i) and (i.op in _OFF_BY_ONE or i.source == isa.BPF_K))
    if pc is None:
        return None
    insn = insns[pc]
    if insn.op in _OFF_BY_ONE and (insn.source == isa.BPF_X or rng.random() < 0.5):
        new = _with(insn, opcode=insn.opcode - insn.op + _OFF_BY_ONE[insn.op])
        note = f"{isa.JMP_OPS[insn.op]} -> {isa.JMP_OPS[_OFF_BY_ONE[insn.op]]}"
    else:
        step = rng.choice((1, -1))
        new = _with(insn, imm=insn.imm + step)
        note = f"constant {insn.imm} -> {insn.imm + step}"
    return None if new is None else Mutant("off_by_one", pc, _replace(insns, pc, new), note)


def widen_offset(insns: Sequence[Insn], rng: random.Random) -> Mutant | None:
    """A load or store moved a few bytes (or far) from where it was."""
    pc = _pick(rng, insns, _is_mem)
    if pc is None:
        return None
    delta = rng.choice(_WIDEN)
    new = _with(insns[pc], off=insns[pc].off + delta)
    return None if new is None else Mutant("widen_offset", pc, _replace(insns, pc, new), f"off {delta:+d}")


def shrink_constant(insns: Sequence[Insn], rng: random.Random) -> Mutant | None:
    """``add rX, N`` with a smaller N: a bounds check that covers fewer bytes."""
    pc = _pick(rng, insns, lambda i: i.cls == isa.BPF_ALU64 and i.op == isa.BPF_ADD
               and i.source == isa.BPF_K and i.imm > 0)  # fmt: skip
    if pc is None:
        return None
    imm = insns[pc].imm
    smaller = rng.choice((imm - 1, imm // 2, 0, imm - 8))
    new = _with(insns[pc], imm=smaller)
    return None if new is None else Mutant("shrink_constant", pc, _replace(insns, pc, new), f"{imm} -> {smaller}")


def drop_insn(insns: Sequence[Insn], rng: random.Random) -> Mutant | None:
    """An instruction replaced by a no-op: often an initialisation (register or stack)."""
    pc = _pick(rng, insns, lambda i: i.opcode != isa.OP_EXIT)
    if pc is None:
        return None
    return Mutant("drop_insn", pc, _replace(insns, pc, _NOP), "replaced by ja +0")


def drop_exit(insns: Sequence[Insn], rng: random.Random) -> Mutant | None:
    """An ``exit`` replaced by a no-op: control falls through (possibly off the end)."""
    pc = _pick(rng, insns, lambda i: i.opcode == isa.OP_EXIT)
    if pc is None:
        return None
    return Mutant("drop_exit", pc, _replace(insns, pc, _NOP), "exit replaced by ja +0")


def swap_register(insns: Sequence[Insn], rng: random.Random) -> Mutant | None:
    """A source or destination register replaced by another (maybe uninitialised, maybe a
    pointer)."""
    pc = _pick(rng, insns, lambda i: i.cls in (isa.BPF_ALU, isa.BPF_ALU64, isa.BPF_LDX,
                                               isa.BPF_STX, isa.BPF_ST)
               or (is_cond_jump(i)))  # fmt: skip
    if pc is None:
        return None
    insn = insns[pc]
    reg = rng.randrange(isa.NUM_REGS)
    uses_src = insn.cls in (isa.BPF_LDX, isa.BPF_STX) or insn.source == isa.BPF_X
    field = "src" if uses_src and rng.random() < 0.6 else "dst"
    new = _with(insn, **{field: reg})
    return None if new is None else Mutant("swap_register", pc, _replace(insns, pc, new), f"{field} -> r{reg}")


def store_pointer(insns: Sequence[Insn], rng: random.Random) -> Mutant | None:
    """A register store whose value becomes a pointer (the frame pointer or the context)."""
    pc = _pick(rng, insns, lambda i: i.cls == isa.BPF_STX and i.mode == isa.BPF_MEM)
    if pc is None:
        return None
    reg = rng.choice((10, 1, 7))
    new = _with(insns[pc], src=reg)
    return None if new is None else Mutant("store_pointer", pc, _replace(insns, pc, new), f"stores r{reg}")


def return_pointer(insns: Sequence[Insn], rng: random.Random) -> Mutant | None:
    """``r0 = <a pointer>`` right before an ``exit``."""
    pc = _pick(rng, insns, lambda i: i.opcode == isa.OP_EXIT)
    if pc is None:
        return None
    reg = rng.choice((10, 1))
    out = insert(insns, pc, [Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_X, 0, reg)])
    return None if out is None else Mutant("return_pointer", pc, out, f"r0 = r{reg}")


def write_ctx(insns: Sequence[Insn], rng: random.Random) -> Mutant | None:
    """A store into the context at the program's start."""
    off = rng.choice((0, 4, 8, 12, 16, 24, 32, 40))
    size = rng.choice((isa.BPF_W, isa.BPF_DW, isa.BPF_B))
    store = Insn(isa.BPF_ST | isa.BPF_MEM | size, 1, 0, off, rng.choice((0, 1, 0x7FFF)))
    out = insert(insns, 0, [store])
    return None if out is None else Mutant("write_ctx", 0, out, f"store to ctx+{off}")


def mangle_pointer(insns: Sequence[Insn], rng: random.Random) -> Mutant | None:
    """A forbidden operation (``*``, ``|``, ``<<`` ...) on a register just loaded from the
    context (a packet pointer, usually) or on a copy of the frame pointer."""
    loads = [pc for pc in slots(insns) if insns[pc].cls == isa.BPF_LDX and insns[pc].src == 1
             and insns[pc].mode == isa.BPF_MEM]  # fmt: skip
    op = rng.choice(_PTR_OPS)
    cls = rng.choice((isa.BPF_ALU64, isa.BPF_ALU))
    if loads and rng.random() < 0.7:
        pc = rng.choice(loads)
        reg = insns[pc].dst
        at = pc + 1
        code = [Insn(cls | op, reg)] if op == isa.BPF_NEG else [Insn(cls | op, reg, imm=rng.choice((1, 2, 3)))]
    else:
        reg, at = rng.choice((6, 7, 8, 9)), 0
        code = [Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_X, reg, 10)]
        code.append(Insn(cls | op, reg) if op == isa.BPF_NEG else Insn(cls | op, reg, imm=3))
        code.append(Insn(isa.BPF_ST | isa.BPF_MEM | isa.BPF_B, reg, 0, -1, 0))
    out = insert(insns, at, code)
    name = "neg" if op == isa.BPF_NEG else isa.ALU_OPS[op]
    return None if out is None else Mutant("mangle_pointer", at, out, f"{name} on r{reg}")


def stack_out_of_bounds(insns: Sequence[Insn], rng: random.Random) -> Mutant | None:
    """A stack access moved outside the 512-byte frame (or onto the frame pointer itself)."""
    pc = _pick(rng, insns, lambda i: _is_mem(i) and (i.src == 10 if i.cls == isa.BPF_LDX else i.dst == 10))
    if pc is None:
        return None
    off = rng.choice(_STACK_OOB)
    new = _with(insns[pc], off=off)
    return None if new is None else Mutant("stack_out_of_bounds", pc, _replace(insns, pc, new), f"off {off}")


def bend_jump(insns: Sequence[Insn], rng: random.Random) -> Mutant | None:
    """A jump sent backwards (into a loop), onto itself, or out of the program."""
    pc = _pick(rng, insns, lambda i: is_cond_jump(i) or (_is_goto(i) and i.opcode == isa.OP_JA))
    if pc is None:
        return None
    choice = rng.random()
    if choice < 0.5:
        off = -rng.randint(1, max(1, pc + 1))  # back to somewhere before it (pc 0 included)
    elif choice < 0.7:
        off = -1  # onto itself
    else:
        off = len(insns) - pc + rng.randint(-1, 3)  # near or past the end
    new = _with(insns[pc], off=off)
    return None if new is None else Mutant("bend_jump", pc, _replace(insns, pc, new), f"off {off}")


def uninit_stack_read(insns: Sequence[Insn], rng: random.Random) -> Mutant | None:
    """A register loaded from a stack slot far below what programs usually initialise, then
    used as the return value."""
    pc = _pick(rng, insns, lambda i: i.opcode == isa.OP_EXIT)
    if pc is None:
        return None
    off = -8 * rng.randint(20, 64)
    load = Insn(isa.BPF_LDX | isa.BPF_MEM | isa.BPF_DW, 0, 10, off)
    out = insert(insns, pc, [load, Insn(isa.BPF_ALU64 | isa.BPF_AND, 0, imm=1)])
    return None if out is None else Mutant("uninit_stack_read", pc, out, f"r0 = *(u64 *)(r10 {off})")


def mask_returns(insns: Sequence[Insn], mask: int = 3) -> list[Insn]:
    """``r0 &= mask`` before every ``exit``: random programs (which return whatever r0
    holds) become programs whose verdict is in a hook's range, so that a verifier checking
    return values judges the rest of them. Jumps to an ``exit`` run the mask too."""
    out = list(insns)
    for pc in reversed(slots(insns)):
        if insns[pc].opcode == isa.OP_EXIT:
            fixed = insert(out, pc, [Insn(isa.BPF_ALU64 | isa.BPF_AND, 0, imm=mask)])
            if fixed is None:
                raise ValueError(f"cannot insert before the exit at pc {pc}: a jump offset overflows")
            out = fixed
    return out


MUTATIONS: dict[str, Mutation] = {
    f.__name__: f
    for f in (drop_check, skip_null_check, off_by_one, widen_offset, shrink_constant, drop_insn,
              drop_exit, swap_register, store_pointer, return_pointer, write_ctx, mangle_pointer,
              stack_out_of_bounds, bend_jump, uninit_stack_read)
}  # fmt: skip


def mutate(insns: Sequence[Insn], rng: random.Random, kinds: Sequence[str] | None = None,
           tries: int = 8) -> Mutant | None:
    """One random mutant of ``insns`` (from ``kinds``, all by default), structurally valid
    and different from ``insns``; None when no mutation applied in ``tries`` attempts."""
    names = list(kinds) if kinds is not None else list(MUTATIONS)
    unknown = [n for n in names if n not in MUTATIONS]
    if unknown:
        raise KeyError(f"unknown mutation(s) {', '.join(unknown)} (known: {', '.join(MUTATIONS)})")
    if not insns or not names:
        return None
    for _ in range(tries):
        mutant = MUTATIONS[rng.choice(names)](insns, rng)
        if mutant is None or mutant.insns == list(insns):  # not applicable, or a no-op
            continue
        try:
            isa.validate(mutant.insns)
        except isa.InvalidProgram:
            continue
        return mutant
    return None


def mutants(insns: Sequence[Insn], rng: random.Random, count: int,
            kinds: Sequence[str] | None = None) -> Iterator[Mutant]:
    """Up to ``count`` mutants of ``insns`` (fewer if mutations keep failing to apply)."""
    for _ in range(count):
        mutant = mutate(insns, rng, kinds)
        if mutant is not None:
            yield mutant


__all__ = ["MUTATIONS", "Mutant", "Mutation", "insert", "is_cond_jump", "jump_target",
           "mask_returns", "mutants", "mutate", "slots"]
