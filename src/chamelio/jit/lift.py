"""Lift an eBPF program (cpu v1..v4) to LLVM IR text.

The entry is ``i64 @prog(ptr %mem, i64 %len)`` with r1 = mem and r2 = len. Every function
(the entry and each bpf-to-bpf call target) has its registers as ``i64`` allocas, its own
512-byte stack (r10 = its end) and one LLVM block per leader; a local call is a call to
``i64 @sub_<pc>(i64 r1, .., i64 r5)``, so r6..r9 and r10 of the caller are untouched.

Semantics follow :mod:`chamelio.ebpf.alu`: 32-bit results zero-extend, shift amounts are
masked, division and modulo by zero give 0 and the dividend. The divisor is replaced
*before* the divide (a ``select`` after an undefined division is deleted by LLVM, and a
native divide by zero raises SIGFPE). Plain loads and stores use ``align 1``; atomics use
their natural alignment (the kernel requires aligned atomics).

Helper ``id`` becomes a call to the external function :func:`helper_symbol` (r1..r5 in,
r0 out); ``lddw`` of a map (src 1/5) the address of the external global
:func:`map_symbol`, of a map value (src 2/6) :func:`map_value_symbol` plus the offset. The
provider (or :class:`~chamelio.jit.engine.JitProgram`'s ``symbols``) defines them.

Not lifted yet (raise :class:`LiftUnsupported`): ``callx``, kfuncs, ``lddw`` src 3/4,
legacy packet loads, ``may_goto``.
"""

from __future__ import annotations

from chamelio.ebpf import isa
from chamelio.ebpf.alu import sext
from chamelio.ebpf.isa import Insn, InvalidProgram
from chamelio.errors import ChamelioError

ENTRY = "prog"
MAX_CALL_FRAMES = 8  # the kernel's: the entry function plus 7 nested calls
_ICMP = {
    isa.BPF_JEQ: "eq", isa.BPF_JNE: "ne", isa.BPF_JGT: "ugt", isa.BPF_JGE: "uge",
    isa.BPF_JLT: "ult", isa.BPF_JLE: "ule", isa.BPF_JSGT: "sgt", isa.BPF_JSGE: "sge",
    isa.BPF_JSLT: "slt", isa.BPF_JSLE: "sle",
}  # fmt: skip
_BINOPS = {
    isa.BPF_ADD: "add", isa.BPF_SUB: "sub", isa.BPF_MUL: "mul", isa.BPF_OR: "or",
    isa.BPF_AND: "and", isa.BPF_XOR: "xor",
}  # fmt: skip
_SHIFTS = {isa.BPF_LSH: "shl", isa.BPF_RSH: "lshr", isa.BPF_ARSH: "ashr"}
_RMW = {isa.BPF_ADD: "add", isa.BPF_OR: "or", isa.BPF_AND: "and", isa.BPF_XOR: "xor"}


class LiftUnsupported(ChamelioError):
    """The program uses a feature the lifter does not handle yet."""


def helper_symbol(helper_id: int) -> str:
    """The provider function a helper call becomes: ``i64 (i64 r1, .., i64 r5)``."""
    return f"chamelio_bpf_helper_{helper_id}"


def map_symbol(index: int) -> str:
    """The provider global whose address stands for map ``index`` (lddw src 1 and 5)."""
    return f"chamelio_bpf_map_{index}"


def map_value_symbol(index: int) -> str:
    """The provider global at the start of map ``index``'s value (lddw src 2 and 6)."""
    return f"chamelio_bpf_map_value_{index}"


def _is_local_call(insn: Insn) -> bool:
    return insn.opcode == isa.OP_CALL and insn.src == isa.BPF_PSEUDO_CALL


def _jump_target(pc: int, insn: Insn) -> int | None:
    """The taken target of a jump (None for call/exit/non-jumps)."""
    if insn.cls not in (isa.BPF_JMP, isa.BPF_JMP32) or insn.op in (isa.BPF_CALL, isa.BPF_EXIT):
        return None
    if insn.opcode == isa.OP_JA32:
        return pc + insn.imm + 1
    return pc + insn.off + 1


def _functions(insns: list[Insn]) -> list[tuple[int, int]]:
    """[start, end) slot ranges of the entry and every local-call target."""
    starts = {0}
    for pc, insn in enumerate(insns):
        if _is_local_call(insn):
            target = pc + insn.imm + 1
            if not 0 <= target < len(insns):
                raise InvalidProgram(f"call target {target} outside the program", pc)
            starts.add(target)
    ordered = sorted(starts)
    ranges = list(zip(ordered, [*ordered[1:], len(insns)], strict=True))
    _check_call_depth(insns, ranges)
    return ranges


def _check_call_depth(insns: list[Insn], ranges: list[tuple[int, int]]) -> None:
    """Reject recursion and call chains deeper than the kernel's MAX_CALL_FRAMES (native
    code has no run-time depth check)."""
    callees = {
        start: {pc + insns[pc].imm + 1 for pc in range(start, end) if _is_local_call(insns[pc])}
        for start, end in ranges
    }

    def depth(fn: int, path: tuple[int, ...]) -> int:
        if fn in path:
            raise InvalidProgram(f"recursive bpf-to-bpf call into the function at slot {fn}")
        return 1 + max((depth(c, (*path, fn)) for c in callees[fn]), default=0)

    if depth(0, ()) > MAX_CALL_FRAMES:
        raise InvalidProgram(f"bpf-to-bpf calls nest deeper than {MAX_CALL_FRAMES} frames")


class _Fn:
    """Emits one LLVM function for the slots [start, end)."""

    def __init__(self, insns: list[Insn], start: int, end: int) -> None:
        self.insns, self.start, self.end = insns, start, end
        self.lines: list[str] = []
        self.n = 0
        self.terminated = False
        self.externs: set[str] = set()

    def tmp(self) -> str:
        self.n += 1
        return f"%t{self.n}"

    def emit(self, text: str) -> str:
        """Emit ``<tmp> = text`` and return the temp."""
        t = self.tmp()
        self.lines.append(f"  {t} = {text}")
        return t

    def raw(self, text: str) -> None:
        self.lines.append(f"  {text}")

    # ---- registers
    def get(self, reg: int, bits: int = 64) -> str:
        v = self.emit(f"load i64, ptr %r{reg}")
        return v if bits == 64 else self.emit(f"trunc i64 {v} to i{bits}")

    def put(self, reg: int, value: str, bits: int = 64, signed: bool = False) -> None:
        if bits != 64:
            value = self.emit(f"{'sext' if signed else 'zext'} i{bits} {value} to i64")
        self.raw(f"store i64 {value}, ptr %r{reg}")

    def addr(self, reg: int, off: int) -> str:
        base = self.get(reg)
        a = self.emit(f"add i64 {base}, {off}")
        return self.emit(f"inttoptr i64 {a} to ptr")

    # ---- structure
    def leaders(self) -> set[int]:
        out = {self.start}
        for pc in range(self.start, self.end):
            insn = self.insns[pc]
            target = _jump_target(pc, insn)
            if target is not None:
                if not self.start <= target < self.end:
                    raise InvalidProgram(f"jump target {target} outside its function", pc)
                out.add(target)
            if insn.cls in (isa.BPF_JMP, isa.BPF_JMP32) and insn.op != isa.BPF_CALL:
                out.add(pc + 1)
        return {pc for pc in out if pc < self.end}

    def build(self) -> str:
        entry = self.start == 0
        name = ENTRY if entry else f"sub_{self.start}"
        params = "ptr %mem, i64 %len" if entry else ", ".join(f"i64 %a{i}" for i in range(1, 6))
        self.lines = [f"define i64 @{name}({params}) {{", "entry:"]
        for r in range(isa.NUM_REGS):
            self.raw(f"%r{r} = alloca i64, align 8")
        self.raw("%stack = alloca [512 x i8], align 16")
        for r in range(isa.NUM_REGS):
            self.raw(f"store i64 0, ptr %r{r}")
        if entry:
            self.put(1, self.emit("ptrtoint ptr %mem to i64"))
            self.raw("store i64 %len, ptr %r2")
        else:
            for i in range(1, 6):
                self.raw(f"store i64 %a{i}, ptr %r{i}")
        top = self.emit(f"getelementptr i8, ptr %stack, i64 {isa.STACK_SIZE}")
        self.put(10, self.emit(f"ptrtoint ptr {top} to i64"))
        self.raw(f"br label %bb{self.start}")
        leaders = self.leaders()
        self.terminated = True
        pc = self.start
        while pc < self.end:
            if pc in leaders:
                if not self.terminated:
                    self.raw(f"br label %bb{pc}")
                self.lines.append(f"bb{pc}:")
                self.terminated = False
            elif self.terminated:  # unreachable slot after a jump: skip it
                pc += 2 if self.insns[pc].is_lddw else 1
                continue
            insn = self.insns[pc]
            self.insn(pc, insn)
            pc += 2 if insn.is_lddw else 1
        if not self.terminated:
            raise InvalidProgram("execution can fall off the end of the function", self.end - 1)
        self.lines.append("}")
        return "\n".join(self.lines)

    # ---- instructions
    def insn(self, pc: int, insn: Insn) -> None:
        cls = insn.cls
        if cls in (isa.BPF_ALU, isa.BPF_ALU64):
            self.alu(insn)
        elif cls in (isa.BPF_JMP, isa.BPF_JMP32):
            self.jmp(pc, insn)
        elif cls == isa.BPF_LDX:
            self.ldx(pc, insn)
        elif cls in (isa.BPF_ST, isa.BPF_STX):
            self.store(pc, insn)
        elif insn.is_lddw:
            self.lddw(pc, insn)
        else:
            raise LiftUnsupported(f"pc {pc}: opcode {insn.opcode:#04x} (legacy packet access)")

    def alu(self, insn: Insn) -> None:
        bits = 64 if insn.cls == isa.BPF_ALU64 else 32
        t = f"i{bits}"
        op = insn.op
        if op == isa.BPF_END:
            self.end_op(insn)
            return
        src = self.get(insn.src, bits) if insn.source == isa.BPF_X else str(insn.imm)
        if op == isa.BPF_MOV:
            if insn.source == isa.BPF_X and insn.off:
                narrow = self.emit(f"trunc {t} {src} to i{insn.off}")
                src = self.emit(f"sext i{insn.off} {narrow} to {t}")
            self.put(insn.dst, src, bits)
            return
        dst = self.get(insn.dst, bits)
        if op in _BINOPS:
            res = self.emit(f"{_BINOPS[op]} {t} {dst}, {src}")
        elif op in _SHIFTS:
            amount = self.emit(f"and {t} {src}, {bits - 1}")
            res = self.emit(f"{_SHIFTS[op]} {t} {dst}, {amount}")
        elif op == isa.BPF_NEG:
            res = self.emit(f"sub {t} 0, {dst}")
        elif op in (isa.BPF_DIV, isa.BPF_MOD):
            res = self.divmod(t, op == isa.BPF_DIV, insn.off == 1, dst, src)
        else:
            raise InvalidProgram(f"unknown ALU operation {op:#x}")
        self.put(insn.dst, res, bits)

    def divmod(self, t: str, div: bool, signed: bool, a: str, b: str) -> str:
        """Division/modulo with the divisor made safe before the divide."""
        zero = self.emit(f"icmp eq {t} {b}, 0")
        if not signed:
            safe = self.emit(f"select i1 {zero}, {t} 1, {t} {b}")
            q = self.emit(f"{'udiv' if div else 'urem'} {t} {a}, {safe}")
            return self.emit(f"select i1 {zero}, {t} {'0' if div else a}, {t} {q}")
        m1 = self.emit(f"icmp eq {t} {b}, -1")
        bad = self.emit(f"or i1 {zero}, {m1}")
        safe = self.emit(f"select i1 {bad}, {t} 1, {t} {b}")
        q = self.emit(f"{'sdiv' if div else 'srem'} {t} {a}, {safe}")
        on_m1 = self.emit(f"sub {t} 0, {a}") if div else "0"
        r = self.emit(f"select i1 {m1}, {t} {on_m1}, {t} {q}")
        return self.emit(f"select i1 {zero}, {t} {'0' if div else a}, {t} {r}")

    def end_op(self, insn: Insn) -> None:
        width = insn.imm
        v = self.get(insn.dst, width)
        if not (insn.cls == isa.BPF_ALU and insn.source == isa.BPF_TO_LE):
            v = self.emit(f"call i{width} @llvm.bswap.i{width}(i{width} {v})")
        self.put(insn.dst, v, width)

    def cond(self, insn: Insn) -> str:
        bits = 64 if insn.cls == isa.BPF_JMP else 32
        a = self.get(insn.dst, bits)
        b = self.get(insn.src, bits) if insn.source == isa.BPF_X else str(insn.imm)
        if insn.op == isa.BPF_JSET:
            both = self.emit(f"and i{bits} {a}, {b}")
            return self.emit(f"icmp ne i{bits} {both}, 0")
        return self.emit(f"icmp {_ICMP[insn.op]} i{bits} {a}, {b}")

    def jmp(self, pc: int, insn: Insn) -> None:
        op = insn.op
        if op == isa.BPF_EXIT:
            self.raw(f"ret i64 {self.get(0)}")
        elif op == isa.BPF_CALL:
            if insn.source == isa.BPF_X or insn.src not in (0, isa.BPF_PSEUDO_CALL):
                raise LiftUnsupported(f"pc {pc}: callx and kfunc calls are not lifted yet")
            if _is_local_call(insn):
                callee = f"sub_{pc + insn.imm + 1}"
            else:
                callee = helper_symbol(insn.imm)
                self.externs.add(f"declare i64 @{callee}(i64, i64, i64, i64, i64)")
            args = ", ".join(f"i64 {self.get(r)}" for r in range(1, 6))
            self.put(0, self.emit(f"call i64 @{callee}({args})"))
            return
        elif op == isa.BPF_JA:
            self.raw(f"br label %bb{_jump_target(pc, insn)}")
        elif op == isa.BPF_JCOND:
            raise LiftUnsupported(f"pc {pc}: may_goto is not lifted yet")
        else:
            c = self.cond(insn)
            self.raw(f"br i1 {c}, label %bb{_jump_target(pc, insn)}, label %bb{pc + 1}")
        self.terminated = True

    def lddw(self, pc: int, insn: Insn) -> None:
        value = insn.imm64 or 0
        src = insn.src
        if src == 0:
            self.raw(f"store i64 {value}, ptr %r{insn.dst}")
            return
        index = insn.uimm
        offset = sext(value >> 32, 32)
        if src in (isa.BPF_PSEUDO_MAP_FD, isa.BPF_PSEUDO_MAP_IDX):
            sym, offset = map_symbol(index), 0
        elif src in (isa.BPF_PSEUDO_MAP_VALUE, isa.BPF_PSEUDO_MAP_IDX_VALUE):
            sym = map_value_symbol(index)
        else:
            raise LiftUnsupported(f"pc {pc}: lddw pseudo source {src} is not lifted yet")
        self.externs.add(f"@{sym} = external global i8")
        base = self.emit(f"ptrtoint ptr @{sym} to i64")
        self.put(insn.dst, self.emit(f"add i64 {base}, {offset}"))

    def ldx(self, pc: int, insn: Insn) -> None:
        bits = isa.SIZE_BYTES[insn.size] * 8
        if insn.mode not in (isa.BPF_MEM, isa.BPF_MEMSX):
            raise LiftUnsupported(f"pc {pc}: load mode {insn.mode:#x}")
        p = self.addr(insn.src, insn.off)
        v = self.emit(f"load i{bits}, ptr {p}, align 1")
        self.put(insn.dst, v, bits, signed=insn.mode == isa.BPF_MEMSX)

    def store(self, pc: int, insn: Insn) -> None:
        bits = isa.SIZE_BYTES[insn.size] * 8
        t = f"i{bits}"
        if insn.mode == isa.BPF_ATOMIC:
            self.atomic(insn, t)
            return
        if insn.mode != isa.BPF_MEM:
            raise LiftUnsupported(f"pc {pc}: store mode {insn.mode:#x}")
        if insn.cls == isa.BPF_STX:
            v = self.get(insn.src, bits)
        else:
            v = str(sext(insn.imm, bits))
        p = self.addr(insn.dst, insn.off)
        self.raw(f"store {t} {v}, ptr {p}, align 1")

    def atomic(self, insn: Insn, t: str) -> None:
        bits = int(t[1:])
        align = bits // 8
        p = self.addr(insn.dst, insn.off)
        v = self.get(insn.src, bits)
        if insn.imm == isa.BPF_CMPXCHG:
            expect = self.get(0, bits)
            pair = self.emit(
                f"cmpxchg ptr {p}, {t} {expect}, {t} {v} seq_cst seq_cst, align {align}"
            )
            self.put(0, self.emit(f"extractvalue {{ {t}, i1 }} {pair}, 0"), bits)
            return
        base = insn.imm & ~isa.BPF_FETCH
        op = "xchg" if insn.imm == isa.BPF_XCHG else _RMW[base]
        old = self.emit(f"atomicrmw {op} ptr {p}, {t} {v} seq_cst, align {align}")
        if insn.imm & isa.BPF_FETCH:
            self.put(insn.src, old, bits)


def lift(insns: list[Insn]) -> str:
    """The LLVM IR text of ``insns`` (entry ``i64 @prog(ptr %mem, i64 %len)``).

    Raises :class:`InvalidProgram` for a malformed stream and :class:`LiftUnsupported` for
    features not lifted yet."""
    if not insns:
        raise InvalidProgram("empty program")
    isa.validate(insns)
    fns = [_Fn(insns, start, end) for start, end in _functions(insns)]
    parts = [fn.build() for fn in fns]
    decls = [f"declare i{w} @llvm.bswap.i{w}(i{w})" for w in (16, 32, 64)]
    decls += sorted(set().union(*(fn.externs for fn in fns)))
    return "\n\n".join([*parts, *decls]) + "\n"


__all__ = [
    "ENTRY",
    "LiftUnsupported",
    "helper_symbol",
    "lift",
    "map_symbol",
    "map_value_symbol",
]
