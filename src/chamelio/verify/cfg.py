"""The control-flow graph of a program, before any value is tracked.

:func:`build_cfg` checks what needs no abstract values and rejects, with the pc, what the
kernel's ``check_cfg`` rejects: malformed instructions, jumps out of the program, into the
second slot of a ``lddw`` or into another function, a function whose last instruction
falls through, unreachable instructions. It finds the subprograms (the entry and every
bpf-to-bpf call target), the prune points the exploration remembers states at (jump
targets and the fall-through of conditional jumps), the back edges, and which registers
are live at every instruction (read before written on some path), so that dead registers
can be forgotten and more states pruned.
"""

from __future__ import annotations

from dataclasses import dataclass

from chamelio.abi import HELPERS
from chamelio.ebpf import isa
from chamelio.ebpf.isa import Insn

ALL_ARGS = 0b111110  # r1..r5
CALLER_SAVED = 0b111111  # r0..r5


class CfgError(Exception):
    """A structural problem at ``pc``; the explorer turns it into a rejection."""

    def __init__(self, pc: int, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.pc = pc
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Cfg:
    insns: list[Insn]
    subprograms: tuple[int, ...]  # start pcs, sorted; the entry (0) first
    func_of: tuple[int, ...]  # per pc: index into subprograms (-1 for a lddw second slot)
    prune: tuple[bool, ...]  # per pc: remember states here
    live: tuple[int, ...]  # per pc: bit r set when register r is live before the insn
    back_edges: frozenset[tuple[int, int]]  # (from pc, to pc) edges that close a loop
    reachable: int  # number of reachable instruction slots (lddw counts one)

    def func_start(self, pc: int) -> int:
        return self.subprograms[self.func_of[pc]]

    @property
    def has_loops(self) -> bool:
        return bool(self.back_edges)


def is_cond_jump(insn: Insn) -> bool:
    return insn.cls in (isa.BPF_JMP, isa.BPF_JMP32) and insn.op in isa.JMP_OPS


def jump_target(pc: int, insn: Insn) -> int | None:
    """Where a jump (``ja``, ``ja32``, conditional, ``may_goto``) at ``pc`` goes, else None."""
    cls, op = insn.cls, insn.op
    if cls not in (isa.BPF_JMP, isa.BPF_JMP32) or op in (isa.BPF_CALL, isa.BPF_EXIT):
        return None
    if cls == isa.BPF_JMP32 and op == isa.BPF_JA:
        return pc + insn.imm + 1
    return pc + insn.off + 1


def is_local_call(insn: Insn) -> bool:
    return insn.opcode == isa.OP_CALL and insn.src == isa.BPF_PSEUDO_CALL


def successors(pc: int, insn: Insn) -> list[int]:
    """Intraprocedural successors (a call continues after itself, ``exit`` has none)."""
    if insn.is_lddw:
        return [pc + 2]
    cls, op = insn.cls, insn.op
    if cls in (isa.BPF_JMP, isa.BPF_JMP32):
        if op == isa.BPF_EXIT:
            return []
        if op == isa.BPF_CALL:
            return [pc + 1]
        target = jump_target(pc, insn)
        assert target is not None
        if op == isa.BPF_JA:
            return [target]
        return [pc + 1, target] if target != pc + 1 else [pc + 1]
    return [pc + 1]


def _uses_defs(insn: Insn) -> tuple[int, int]:
    """(registers read, registers written) as bit sets."""
    cls, op, d, s = insn.cls, insn.op, 1 << insn.dst, 1 << insn.src
    if insn.is_lddw:
        return 0, d
    if cls in (isa.BPF_ALU, isa.BPF_ALU64):
        if op == isa.BPF_MOV:
            return (s if insn.source == isa.BPF_X else 0), d
        if op in (isa.BPF_END, isa.BPF_NEG):
            return d, d
        return d | (s if insn.source == isa.BPF_X else 0), d
    if cls in (isa.BPF_JMP, isa.BPF_JMP32):
        if op == isa.BPF_EXIT:
            return 1, 0
        if op == isa.BPF_CALL:
            if insn.source == isa.BPF_X:
                return ALL_ARGS | d, CALLER_SAVED
            if insn.src == 0 and insn.imm in HELPERS:
                nargs = len(HELPERS[insn.imm].args)
                return ((1 << (nargs + 1)) - 2), CALLER_SAVED
            return ALL_ARGS, CALLER_SAVED
        if op in (isa.BPF_JA, isa.BPF_JCOND):
            return 0, 0
        return d | (s if insn.source == isa.BPF_X else 0), 0
    if cls == isa.BPF_LD:  # legacy packet loads: r6 is the context, r0 the result
        used = 1 << 6 | (s if insn.mode == isa.BPF_IND else 0)
        return used, CALLER_SAVED
    if cls == isa.BPF_LDX:
        return s, d
    if cls == isa.BPF_ST:
        return d, 0
    if insn.mode == isa.BPF_ATOMIC:
        if insn.imm == isa.BPF_CMPXCHG:
            return d | s | 1, 1
        return d | s, (s if insn.imm & isa.BPF_FETCH else 0)
    return d | s, 0


def build_cfg(insns: list[Insn]) -> Cfg:
    """The CFG of ``insns``; raises :class:`CfgError` at the first structural problem."""
    n = len(insns)
    if n == 0:
        raise CfgError(0, "the program is empty", "a program needs at least an exit")
    try:
        isa.validate(insns)
    except isa.InvalidProgram as exc:
        raise CfgError(exc.pc or 0, exc.reason, "the instruction is not a valid encoding") from None
    second = [False] * n
    pc = 0
    while pc < n:
        if insns[pc].is_lddw:
            second[pc + 1] = True
            pc += 2
        else:
            pc += 1

    def check_target(pc: int, target: int, what: str) -> None:
        if not 0 <= target < n:
            raise CfgError(pc, f"{what} to pc {target} is outside the program (0..{n - 1})",
                           "jump offsets count instruction slots from the next one")
        if second[target]:
            raise CfgError(pc, f"{what} into the middle of the lddw at pc {target - 1}",
                           "a lddw takes two slots; jump to its first")

    starts = {0}
    for pc, insn in enumerate(insns):
        if second[pc]:
            continue
        if is_local_call(insn):
            target = pc + insn.imm + 1
            check_target(pc, target, "call")
            starts.add(target)
    subprograms = tuple(sorted(starts))
    func_of = [0] * n
    index = 0
    for pc in range(n):
        while index + 1 < len(subprograms) and subprograms[index + 1] <= pc:
            index += 1
        func_of[pc] = -1 if second[pc] else index

    def end_of(func: int) -> int:
        return subprograms[func + 1] if func + 1 < len(subprograms) else n

    succ: list[list[int]] = [[] for _ in range(n)]
    prune = [False] * n
    for pc, insn in enumerate(insns):
        if second[pc]:
            continue
        func = func_of[pc]
        for target in successors(pc, insn):
            if target >= end_of(func) and target == pc + (2 if insn.is_lddw else 1):
                where = "the program" if target >= n else "its function"
                raise CfgError(pc, f"execution falls through past the end of {where}",
                               "every function must end with exit or a jump")
            check_target(pc, target, "jump")
            if func_of[target] != func:
                raise CfgError(pc, f"jump to pc {target} leaves its function",
                               "functions are entered by call and left by exit")
            succ[pc].append(target)
        if jump_target(pc, insn) is not None:
            for target in succ[pc]:
                prune[target] = True

    # reachability and back edges: iterative DFS from the entry; a reachable call makes
    # its target a new root
    reach = [False] * n
    back: set[tuple[int, int]] = set()
    color = [0] * n  # 0 new, 1 on the DFS stack, 2 done
    roots = [0]
    while roots:
        start = roots.pop()
        if color[start]:
            continue
        color[start] = 1
        reach[start] = True
        stack: list[tuple[int, int]] = [(start, 0)]
        while stack:
            pc, i = stack[-1]
            if i == 0 and is_local_call(insns[pc]):
                roots.append(pc + insns[pc].imm + 1)
            if i < len(succ[pc]):
                stack[-1] = (pc, i + 1)
                nxt = succ[pc][i]
                if color[nxt] == 1:
                    back.add((pc, nxt))
                elif color[nxt] == 0:
                    color[nxt] = 1
                    reach[nxt] = True
                    stack.append((nxt, 0))
            else:
                color[pc] = 2
                stack.pop()
    for pc in range(n):
        if not second[pc] and not reach[pc]:
            raise CfgError(pc, "unreachable instruction",
                           "remove dead code (the kernel rejects it too)")
    for target in subprograms:
        prune[target] = True

    live = _liveness(insns, succ, second)
    return Cfg(insns, subprograms, tuple(func_of), tuple(prune), tuple(live), frozenset(back),
               sum(1 for pc in range(n) if reach[pc]))


def _liveness(insns: list[Insn], succ: list[list[int]], second: list[bool]) -> list[int]:
    n = len(insns)
    uses = [0] * n
    defs = [0] * n
    preds: list[list[int]] = [[] for _ in range(n)]
    for pc in range(n):
        if second[pc]:
            continue
        uses[pc], defs[pc] = _uses_defs(insns[pc])
        for t in succ[pc]:
            preds[t].append(pc)
    live = [0] * n
    work = [pc for pc in range(n) if not second[pc]]
    queued = [not s for s in second]
    while work:
        pc = work.pop()
        queued[pc] = False
        out = 0
        for t in succ[pc]:
            out |= live[t]
        new = uses[pc] | (out & ~defs[pc])
        if new != live[pc]:
            live[pc] = new
            for p in preds[pc]:
                if not queued[p]:
                    queued[p] = True
                    work.append(p)
    return live
