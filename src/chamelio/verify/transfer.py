"""One abstract step: the effect of one instruction on a :class:`State`.

:meth:`Machine.step` updates the state in place and returns the next pc, :data:`EXIT` when
the program ends, or :data:`BRANCH` when both sides of a conditional jump are feasible (then
:attr:`Machine.branches` holds the two successors, each with its own state). Helper costs
beyond the instruction itself are left in :attr:`Machine.extra`. Anything unsafe raises
:class:`~chamelio.verify.checks.Unsafe`.
"""

from __future__ import annotations

from chamelio.ebpf import isa
from chamelio.ebpf.isa import Insn
from chamelio.verify import checks
from chamelio.verify.branches import compare_pointers, set_range
from chamelio.verify.cfg import Cfg
from chamelio.verify.checks import MAX_PACKET, MAX_VAR_OFF, Env, Unsafe
from chamelio.verify.helpers_check import call_helper
from chamelio.verify.scalar import Scalar, alu, end, load_result, movsx, neg, refine
from chamelio.verify.state import IDENTITY, SHIFTED, Frame, StackError, State
from chamelio.verify.values import (
    ARITH_KINDS,
    NOT_INIT,
    U32,
    U64,
    UNKNOWN_RANGE,
    NotInit,
    Pointer,
    PtrKind,
    Value,
    format_value,
    signed,
)

EXIT = -1
BRANCH = -2
MAX_CALL_FRAMES = 8
S64_MIN = -(1 << 63)
S64_MAX = (1 << 63) - 1
_ATOMIC_BASE = {isa.BPF_ADD: isa.BPF_ADD, isa.BPF_OR: isa.BPF_OR, isa.BPF_AND: isa.BPF_AND,
                isa.BPF_XOR: isa.BPF_XOR}  # fmt: skip


def _srange(lo: int, hi: int) -> Scalar:
    """Every value of the signed range ``[lo, hi]`` (clamped to 64 bits)."""
    lo = min(max(lo, S64_MIN), S64_MAX)
    hi = min(max(hi, lo), S64_MAX)
    return Scalar.signed_range(lo, hi)


def _end_distance(p: Pointer) -> int:
    """A lower bound of ``data_end - p``: what the range proves (``base + range <= end``),
    or else what ``data <= end`` does."""
    lo = -p.off.smax
    if p.range >= 0:
        lo = max(lo, p.range - p.fixed)
    return lo


class Machine:
    def __init__(self, env: Env, cfg: Cfg) -> None:
        self.env = env
        self.cfg = cfg
        self.insns = cfg.insns
        self.extra = 0
        self.branches: list[tuple[int, State]] = []

    # ----------------------------------------------------------------- registers
    @staticmethod
    def read(state: State, r: int, what: str = "") -> Scalar | Pointer:
        v = state.regs[r]
        if isinstance(v, NotInit):
            if v.why:
                raise Unsafe(f"r{r}{what} is used after {v.why}",
                             "look the value up again after the map changed")
            raise Unsafe(f"r{r}{what} is read before it is written",
                         "initialise the register first (calls clobber r1-r5)")
        return v

    @staticmethod
    def scalar(state: State, r: int, what: str) -> Scalar:
        v = Machine.read(state, r)
        if not isinstance(v, Scalar):
            raise Unsafe(f"{what} on r{r}, which holds a pointer ({format_value(v)})",
                         "this operation is only defined on numbers")
        return v

    @staticmethod
    def write(state: State, r: int, v: Value) -> None:
        if r == 10:
            raise Unsafe("r10 (the frame pointer) is read-only", "copy it to another register")
        state.regs[r] = v
        state.links[r] = None

    # ----------------------------------------------------------------------- step
    def step(self, pc: int, state: State) -> int:
        insn = self.insns[pc]
        cls = insn.cls
        self.extra = 0
        if cls == isa.BPF_ALU64 or cls == isa.BPF_ALU:
            self.alu(insn, state)
            return pc + 1
        if cls == isa.BPF_LDX:
            self.load(insn, state)
            return pc + 1
        if cls == isa.BPF_ST or cls == isa.BPF_STX:
            self.store(insn, state)
            return pc + 1
        if cls == isa.BPF_LD:
            if insn.is_lddw:
                self.lddw(pc, insn, state)
                return pc + 2
            self.legacy_load(insn, state)
            return pc + 1
        return self.jump(pc, insn, state)

    # ------------------------------------------------------------------------ ALU
    def alu(self, insn: Insn, state: State) -> None:
        op, d, is64 = insn.op, insn.dst, insn.cls == isa.BPF_ALU64
        x = insn.source == isa.BPF_X
        if op == isa.BPF_END:
            self.write(state, d, end(insn.cls, insn.source, insn.imm, self.scalar(state, d, "byte swap")))
            return
        if op == isa.BPF_NEG:
            self.write(state, d, neg(self.scalar(state, d, "neg"), is64))
            return
        src: Scalar | Pointer = self.read(state, insn.src) if x else Scalar.const(insn.imm & U64)
        if op == isa.BPF_MOV:
            if x and insn.off:
                self.write(state, d, movsx(self.scalar(state, insn.src, "movsx"), insn.off, is64))
            elif isinstance(src, Pointer):
                if not is64:
                    raise Unsafe(f"32-bit move of a pointer ({format_value(src)}) would expose "
                                 "its address", "use a 64-bit mov")
                self.write(state, d, src)
            else:
                self.write(state, d, src if is64 else src.cast(4))
                if x and (is64 or src.umax <= U32):  # the same value: linked copies
                    state.link_copy(d, insn.src, self.env.new_id)
            return
        dst = self.read(state, d)
        if op in (isa.BPF_DIV, isa.BPF_MOD) and insn.off == 1:
            op |= 1
        if isinstance(dst, Scalar) and isinstance(src, Scalar):
            link = state.links[d]
            self.write(state, d, alu(op, dst, src, is64))
            if link is not None and is64 and not x and insn.imm == 32:
                # clang's zero extension: x << 32 >> 32 is x again when x < 2**32
                if op == isa.BPF_LSH and link[1] == IDENTITY and dst.umax <= U32:
                    state.links[d] = (link[0], SHIFTED)
                elif op == isa.BPF_RSH and link[1] == SHIFTED:
                    state.links[d] = (link[0], IDENTITY)
            return
        self.write(state, d, self.pointer_alu(op, dst, src, is64))
        if (isinstance(dst, Pointer) and dst.kind is PtrKind.PACKET_END and isinstance(src, Pointer)
                and src.kind is PtrKind.PACKET and op == isa.BPF_SUB):  # fmt: skip
            sid = self.env.new_id()
            state.links[d] = (sid, IDENTITY)
            state.dist[sid] = (src.id, src.fixed)

    def pointer_alu(self, op: int, dst: Scalar | Pointer, src: Scalar | Pointer, is64: bool) -> Value:
        name = isa.ALU_OPS.get(op & ~1, "alu")
        if not is64:
            raise Unsafe(f"32-bit {name} on a pointer would expose its address",
                         "pointer arithmetic is 64-bit add/sub of a bounded number")
        if isinstance(dst, Pointer) and isinstance(src, Scalar) and op in (isa.BPF_ADD, isa.BPF_SUB):
            return self.pointer_add(dst, src, op == isa.BPF_SUB)
        if isinstance(dst, Scalar) and isinstance(src, Pointer) and op == isa.BPF_ADD:
            return self.pointer_add(src, dst, False)
        if isinstance(dst, Pointer) and isinstance(src, Pointer) and op == isa.BPF_SUB:
            return self.pointer_diff(dst, src)
        raise Unsafe(f"{name} on a pointer ({format_value(dst)}, {format_value(src)}) is not allowed",
                     "only pointer +/- number and the difference of two pointers into one region "
                     "are defined")

    def pointer_add(self, p: Pointer, s: Scalar, sub: bool) -> Pointer:
        if p.kind not in ARITH_KINDS:
            raise Unsafe(f"arithmetic on a {p.kind.value} pointer is not allowed",
                         "data_end and map references may only be compared or passed")
        if p.nullable:
            raise Unsafe(f"arithmetic on a {p.kind.value}_or_null pointer before its null check",
                         "compare it with 0 first")
        if s.smin < -MAX_VAR_OFF or s.smax > MAX_VAR_OFF:
            raise Unsafe(f"pointer arithmetic with an unbounded number ({format_value(s)})",
                         "bound the offset with comparisons (or a mask) before adding it")
        op = isa.BPF_SUB if sub else isa.BPF_ADD
        off = alu(op, p.off, s, True)
        if s.is_const():
            c = signed(s.const_value())
            return p.moved(off, p.fixed - c if sub else p.fixed + c)
        if p.kind is PtrKind.PACKET_META:
            raise Unsafe("variable offset into the packet metadata", "use constant offsets")
        if p.kind is PtrKind.PACKET:
            return p.moved(off, 0, id=self.env.new_id(), range=UNKNOWN_RANGE)
        return p.moved(off, 0)

    def pointer_diff(self, a: Pointer, b: Pointer) -> Scalar:
        packet = (PtrKind.PACKET, PtrKind.PACKET_END)
        if a.kind is PtrKind.PACKET_END and b.kind is PtrKind.PACKET:
            return _srange(_end_distance(b), MAX_PACKET - b.off.smin)
        if a.kind is PtrKind.PACKET and b.kind is PtrKind.PACKET_END:
            return _srange(a.off.smin - MAX_PACKET, -_end_distance(a))
        same = a.kind is b.kind and a.kind in (PtrKind.PACKET, PtrKind.CTX, PtrKind.FLOW,
                                               PtrKind.PFLOW, PtrKind.PACKET_META)  # fmt: skip
        if a.kind is PtrKind.STACK and b.kind is PtrKind.STACK and a.frame == b.frame:
            same = True
        if a.kind is PtrKind.PACKET_END and b.kind is PtrKind.PACKET_END:
            return Scalar.const(0)
        if not same or a.nullable or b.nullable or (a.kind in packet and b.kind not in packet):
            raise Unsafe(f"difference of pointers into different regions ({format_value(a)}, "
                         f"{format_value(b)}) would expose addresses",
                         "subtract pointers into the same region only")
        return alu(isa.BPF_SUB, a.off, b.off, True)

    # ------------------------------------------------------------------ memory
    def base(self, state: State, r: int, what: str) -> Pointer:
        v = self.read(state, r)
        if not isinstance(v, Pointer):
            raise Unsafe(f"{what} through r{r}, which holds a number ({format_value(v)})",
                         "memory is reached through pointers (ctx, packet, stack, map value)")
        return v

    def load(self, insn: Insn, state: State) -> None:
        size = isa.SIZE_BYTES[insn.size]
        p = self.base(state, insn.src, "load")
        v = checks.load(self.env, state, p, insn.off, size, insn.mode == isa.BPF_MEMSX)
        self.write(state, insn.dst, v)

    def store(self, insn: Insn, state: State) -> None:
        size = isa.SIZE_BYTES[insn.size]
        p = self.base(state, insn.dst, "store")
        if insn.cls == isa.BPF_ST:
            checks.store(self.env, state, p, insn.off, size, Scalar.const(insn.imm & U64))
            return
        value = self.read(state, insn.src, " (the value stored)")
        if insn.mode == isa.BPF_ATOMIC:
            self.atomic(insn, state, p, size, value)
            return
        checks.store(self.env, state, p, insn.off, size, value)

    def atomic(self, insn: Insn, state: State, p: Pointer, size: int, value: Scalar | Pointer) -> None:
        op = insn.imm
        if isinstance(value, Pointer):
            raise Unsafe(f"atomic operation with a pointer operand ({format_value(value)})",
                         "atomics operate on numbers")
        if p.kind not in (PtrKind.STACK, PtrKind.MAP_VALUE, PtrKind.FLOW):
            raise Unsafe(f"atomic operation on a {p.kind.value} pointer",
                         "atomics are allowed on the stack, map values and the flow state")
        is64 = size == 8
        old = checks.load(self.env, state, p, insn.off, size, False)
        if not isinstance(old, Scalar):
            raise Unsafe("atomic operation on a spilled pointer", "atomics operate on numbers")
        if op == isa.BPF_CMPXCHG:  # memory keeps old or takes value: r0 must be a number
            self.scalar(state, 0, "cmpxchg")
            new = old.join(value if is64 else value.cast(4))
        elif op == isa.BPF_XCHG:
            new = value if is64 else value.cast(4)
        else:
            new = alu(_ATOMIC_BASE[op & ~isa.BPF_FETCH], old, value, is64)
        checks.store(self.env, state, p, insn.off, size, new)
        if op & isa.BPF_FETCH:
            self.write(state, 0 if op == isa.BPF_CMPXCHG else insn.src, old)

    def lddw(self, pc: int, insn: Insn, state: State) -> None:
        value = insn.imm64 or 0
        if insn.src == 0:
            self.write(state, insn.dst, Scalar.const(value))
            return
        if insn.src not in (isa.BPF_PSEUDO_MAP_FD, isa.BPF_PSEUDO_MAP_VALUE):
            raise Unsafe(f"lddw with pseudo source {insn.src} is not supported",
                         "only map references (map_fd, map_value) are")
        index = insn.imm
        maps = self.env.maps
        if not 0 <= index < len(maps):
            raise Unsafe(f"lddw refers to map {index}, but the program has {len(maps)} map(s)",
                         "pass the program's maps to the verifier")
        if insn.src == isa.BPF_PSEUDO_MAP_FD:
            self.write(state, insn.dst, Pointer(PtrKind.MAP_PTR, Scalar.const(0), map_index=index))
            return
        m = maps[index]
        offset = self.insns[pc + 1].imm & U32
        if m.type != 2 or m.max_entries < 1 or offset > m.value_size:
            raise Unsafe(f"map value reference at offset {offset} into {m.label}, which is not an "
                         f"array with a value of more than {offset} bytes",
                         "global data lives in single-entry array maps")
        self.write(state, insn.dst, Pointer(PtrKind.MAP_VALUE, Scalar.const(offset), map_index=index))

    def legacy_load(self, insn: Insn, state: State) -> None:
        if self.env.hook.context.name != "__sk_buff":
            raise Unsafe("legacy packet load (ld_abs/ld_ind) outside a socket filter",
                         "read the packet through ctx->data")
        ctx = self.read(state, 6)
        if not isinstance(ctx, Pointer) or ctx.kind is not PtrKind.CTX or ctx.const_off != 0:
            raise Unsafe("legacy packet load needs the context in r6", "mov r6, r1 first")
        if insn.mode == isa.BPF_IND:
            self.scalar(state, insn.src, "ld_ind offset")
        state.regs[0] = load_result(isa.SIZE_BYTES[insn.size])
        for r in range(1, 6):
            state.regs[r] = NOT_INIT
        for r in range(6):
            state.links[r] = None

    # -------------------------------------------------------------------- jumps
    def jump(self, pc: int, insn: Insn, state: State) -> int:
        op = insn.op
        if op == isa.BPF_JA:
            return pc + (insn.imm if insn.cls == isa.BPF_JMP32 else insn.off) + 1
        if op == isa.BPF_EXIT:
            return self.exit(state)
        if op == isa.BPF_CALL:
            return self.call(pc, insn, state)
        target = pc + insn.off + 1
        if op == isa.BPF_JCOND:  # may_goto: either way, as the runtime's fuel decides
            self.branches = [(pc + 1, state), (target, state.copy())]
            return BRANCH
        is64 = insn.cls == isa.BPF_JMP
        dst = self.read(state, insn.dst)
        src: Scalar | Pointer = (self.read(state, insn.src) if insn.source == isa.BPF_X
                                 else Scalar.const(insn.imm & U64))  # fmt: skip
        if isinstance(dst, Scalar) and isinstance(src, Scalar):
            sides = []
            for taken in (False, True):
                r = refine(op, dst, src, is64, taken)
                if r is not None:
                    sides.append((taken, r))
            if not sides:
                # The operands admit no value, which the domain failed to notice earlier: stay
                # sound by following both sides with the operands unrefined.
                sides = [(False, (dst, src)), (True, (dst, src))]
            if len(sides) == 1:
                taken, (nd, ns) = sides[0]
                self._narrow(state, insn, nd, ns)
                return target if taken else pc + 1
            other = state.copy()
            (_, (fd, fs)), (_, (td, ts)) = sides
            self._narrow(state, insn, fd, fs)
            self._narrow(other, insn, td, ts)
            self.branches = [(pc + 1, state), (target, other)]
            return BRANCH
        outcomes = compare_pointers(self.env, state, insn, dst, src, is64)
        if len(outcomes) == 1:
            return target if outcomes[0][0] else pc + 1
        self.branches = [(target if taken else pc + 1, st) for taken, st in outcomes]
        return BRANCH

    @staticmethod
    def _narrow(state: State, insn: Insn, d: Scalar, s: Scalar) -> None:
        """Both operands of a comparison narrowed: their copies too, and a packet length
        narrowed from below proves packet bytes."""
        regs = [(insn.dst, d)]
        if insn.source == isa.BPF_X:
            if insn.src == insn.dst:
                return
            regs.append((insn.src, s))
        for r, value in regs:
            if r == 10:
                continue
            state.narrow(r, value)
            link = state.links[r]
            if link is not None and link[1] == IDENTITY and link[0] in state.dist:
                pid, fixed = state.dist[link[0]]
                # data_end - (base + fixed) >= smin
                set_range(state, PtrKind.PACKET, pid, fixed + value.smin)

    def call(self, pc: int, insn: Insn, state: State) -> int:
        if insn.source == isa.BPF_X:
            raise Unsafe("indirect call (callx) is not supported", "call helpers and functions directly")
        if insn.src == isa.BPF_PSEUDO_KFUNC_CALL:
            raise Unsafe(f"kernel function call (kfunc {insn.imm}) is not supported",
                         "use the profile's helpers")
        if insn.src == 0:
            self.extra = call_helper(self.env, state, insn.imm)
            return pc + 1
        depth = len(state.frames)
        if depth >= MAX_CALL_FRAMES:
            raise Unsafe(f"call depth limit exceeded ({MAX_CALL_FRAMES} frames)",
                         "flatten the call chain (or inline functions)")
        regs = state.regs
        state.frames.append(Frame(pc, tuple(regs[6:10])))
        state.regs = [NOT_INIT, *regs[1:6], NOT_INIT, NOT_INIT, NOT_INIT, NOT_INIT,
                      Pointer(PtrKind.STACK, Scalar.const(0), frame=depth)]  # fmt: skip
        state.links = [None] * 11
        state.dist = {}
        return pc + insn.imm + 1

    def exit(self, state: State) -> int:
        r0 = state.regs[0]
        depth = state.depth
        if isinstance(r0, NotInit):
            raise Unsafe("r0 is not initialised at exit", "set the return value before exit")
        if depth == 0:
            hook = self.env.hook
            if isinstance(r0, Pointer):
                raise Unsafe(f"the program returns a pointer ({format_value(r0)})",
                             "return a verdict, never an address")
            # the kernel hooks return an int (the low 32 bits); Chamelio's the whole r0
            lo, hi = (r0.u32min, r0.u32max) if self.env.kernel else (r0.umin, r0.umax)
            if lo < hook.ret_min or hi > hook.ret_max:
                raise Unsafe(f"return value {format_value(r0)} may be outside "
                             f"{hook.ret_min}..{hook.ret_max}, the range of {hook.name}",
                             "return one of the hook's verdicts")
            return EXIT
        if isinstance(r0, Pointer) and r0.kind is PtrKind.STACK and r0.frame == depth:
            raise Unsafe("a function returns a pointer to its own stack, which dies with it",
                         "return a pointer to the caller's memory, or a number")
        frame = state.frames.pop()
        regs = [r0, NOT_INIT, NOT_INIT, NOT_INIT, NOT_INIT, NOT_INIT, *frame.saved,
                Pointer(PtrKind.STACK, Scalar.const(0), frame=depth - 1)]
        state.regs = regs
        state.links = [None] * 11
        state.dist = {}
        return frame.callsite + 1


__all__ = ["BRANCH", "EXIT", "MAX_CALL_FRAMES", "Machine", "StackError"]
