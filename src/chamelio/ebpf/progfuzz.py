"""Random *valid* XDP programs: ones the kernel verifier accepts and that never trap.

The differential tests run each program in the interpreter and in the kernel (and later
through the verifier and the JIT) and compare the return value and the output packet.
Every program has the same frame:

1. prologue: load ``data``/``data_end`` from ``xdp_md`` into r7/r8, bounds-check
   :data:`PACKET_MIN` bytes (a shorter packet takes an early exit), fill the stack slots
   fp-8 .. fp-8*STACK_SLOTS and give r0..r5 values (immediates, 64-bit constants, packet
   and stack loads);
2. body: ALU32/ALU64 (every operation, immediate and register forms, division and shifts
   by values read from memory), byte swaps, sign-extending moves and loads, packet and
   stack loads and stores, atomics on the stack, forward ``if``/``else`` diamonds on
   JMP/JMP32 conditions and, optionally, bpf-to-bpf calls;
3. epilogue: store r0..r5 and the stack slots into the packet so that the output packet
   shows every 64-bit value (the kernel's ``retval`` keeps only r0's low half), then exit.

Scalars live in r0..r5 only; r7 (packet), r8 (packet end) and r10 are never changed. The
generator follows the verifier's rules: stack accesses aligned to their size, no division
or modulo by an immediate zero, immediate shifts below the width, uninitialised registers
never read (after a call r1..r5 are reloaded from the stack).

Example::

    gen = ProgramGenerator(seed=7)
    case = gen.case()            # FuzzCase(seed, insns, packet)
    code = isa.encode(case.insns)
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from chamelio.ebpf import isa
from chamelio.ebpf.isa import Insn

PACKET_MIN = 128  # bytes the prologue bounds-checks; the body may touch [0, PACKET_MIN)
STACK_SLOTS = 8  # 8-byte stack slots initialised by the prologue: fp-8 .. fp-64
SCALARS = (0, 1, 2, 3, 4, 5)
R_DATA, R_END, R_TMP = 7, 8, 9
SHORT_PACKET_RETURN = 0x5A  # r0 of the early exit taken for a packet below PACKET_MIN

_BINARY_OPS = (
    isa.BPF_ADD, isa.BPF_SUB, isa.BPF_MUL, isa.BPF_DIV, isa.BPF_OR, isa.BPF_AND,
    isa.BPF_LSH, isa.BPF_RSH, isa.BPF_MOD, isa.BPF_XOR, isa.BPF_MOV, isa.BPF_ARSH,
)  # fmt: skip
_SHIFTS = (isa.BPF_LSH, isa.BPF_RSH, isa.BPF_ARSH)
_DIVS = (isa.BPF_DIV, isa.BPF_MOD)
_JUMPS = tuple(isa.JMP_OPS)
_SIZES = (isa.BPF_B, isa.BPF_H, isa.BPF_W, isa.BPF_DW)
_ATOMICS = tuple(sorted(isa.ATOMIC_IMMS))
_INTERESTING = (0, 1, 2, 7, 8, 31, 32, 63, 64, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF,
                0x7FFF_FFFF, -0x8000_0000, -1, -2)  # fmt: skip
# 64-bit edge values: zero halves, sign bits, the most negative value and its neighbours.
_INTERESTING64 = (0, 1, 0xFFFF_FFFF, 0x1_0000_0000, 0x1_0000_0001, 0xFFFF_FFFF_0000_0000,
                  0x8000_0000, 0x8000_0000_0000_0000, 0x7FFF_FFFF_FFFF_FFFF,
                  0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFE, 0xFFFF_FFFF_8000_0000,
                  0x0000_0000_FFFF_FFFF, 0x8000_0000_0000_0001)  # fmt: skip


@dataclass(frozen=True)
class GenOptions:
    """What the generator may use. ``cpu`` 4 adds sdiv/smod, movsx, ldsx, bswap, ja32."""

    cpu: int = 4
    body: tuple[int, int] = (20, 70)  # instructions in the body, before epilogue
    calls: bool = True  # bpf-to-bpf calls to generated subprograms
    atomics: bool = True
    max_depth: int = 2  # nesting of if/else diamonds


@dataclass(frozen=True)
class FuzzCase:
    seed: int
    insns: list[Insn]
    packet: bytes

    @property
    def code(self) -> bytes:
        return isa.encode(self.insns)


@dataclass
class _Jump:
    insn: Insn
    label: str
    field: str  # "off" or "imm"


@dataclass
class _Builder:
    """Collects instructions and forward jumps to labels, then resolves the offsets."""

    items: list[Insn | _Jump] = field(default_factory=list)
    labels: dict[str, int] = field(default_factory=dict)
    counter: int = 0

    def emit(self, *insns: Insn) -> None:
        self.items.extend(insns)

    def jump(self, insn: Insn, label: str, field_name: str = "off") -> None:
        self.items.append(_Jump(insn, label, field_name))

    def new_label(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    def place(self, label: str) -> None:
        self.labels[label] = len(self.items)

    def finish(self) -> list[Insn]:
        out: list[Insn] = []
        for pc, item in enumerate(self.items):
            if isinstance(item, _Jump):
                delta = self.labels[item.label] - pc - 1
                i = item.insn
                out.append(Insn(i.opcode, i.dst, i.src, delta if item.field == "off" else 0,
                                delta if item.field == "imm" else i.imm))  # fmt: skip
            else:
                out.append(item)
        return out


class ProgramGenerator:
    """A seeded source of random valid XDP programs and packets."""

    def __init__(self, seed: int = 0, options: GenOptions | None = None) -> None:
        self.seed = seed
        self.options = options or GenOptions()
        self.rng = random.Random(seed)
        self._packet_ok = True  # false inside a subprogram: r7 is not the packet there

    # ------------------------------------------------------------------ public
    def case(self) -> FuzzCase:
        """The next case: its own seed (so it can be regenerated alone), program, packet."""
        seed = self.rng.getrandbits(48)
        return generate_case(seed, self.options)

    # ------------------------------------------------------------------ building
    def program(self) -> list[Insn]:
        b = _Builder()
        short = "short"
        self._prologue(b, short)
        subprograms: list[str] = []
        self._block(b, self.rng.randint(*self.options.body), 0, subprograms, in_callee=False)
        self._epilogue(b)
        b.place(short)
        b.emit(Insn(isa.BPF_ALU64 | isa.BPF_MOV, 0, imm=SHORT_PACKET_RETURN), Insn(isa.OP_EXIT))
        for name in subprograms:
            b.place(name)
            self._subprogram(b)
        return b.finish()

    def packet(self) -> bytes:
        """Mostly long enough for the body; pieces of random bytes, zeros, 0xff runs and
        64-bit edge values so that divisors and shift amounts are often 0 or extreme."""
        rng = self.rng
        long_enough = rng.random() < 0.95
        length = rng.randint(PACKET_MIN, PACKET_MIN + 64) if long_enough else rng.randint(14, PACKET_MIN - 1)
        out = bytearray()
        while len(out) < length:
            kind = rng.random()
            if kind < 0.5:
                out += rng.randbytes(rng.randint(1, 16))
            elif kind < 0.65:
                out += bytes(rng.randint(1, 8))
            elif kind < 0.75:
                out += b"\xff" * rng.randint(1, 8)
            else:
                out += rng.choice(_INTERESTING64).to_bytes(8, "little")
        return bytes(out[:length])

    def _value64(self) -> int:
        if self.rng.random() < 0.5:
            return self.rng.choice(_INTERESTING64)
        return self.rng.getrandbits(64)

    def _prologue(self, b: _Builder, short: str) -> None:
        rng = self.rng
        b.emit(
            Insn(isa.BPF_LDX | isa.BPF_MEM | isa.BPF_W, R_DATA, 1, 0),
            Insn(isa.BPF_LDX | isa.BPF_MEM | isa.BPF_W, R_END, 1, 4),
            Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_X, R_TMP, R_DATA),
            Insn(isa.BPF_ALU64 | isa.BPF_ADD, R_TMP, imm=PACKET_MIN),
        )
        b.jump(Insn(isa.BPF_JMP | isa.BPF_JGT | isa.BPF_X, R_TMP, R_END), short)
        for slot in range(STACK_SLOTS):
            off = -8 * (slot + 1)
            choice = rng.random()
            if choice < 0.35:
                b.emit(Insn(isa.BPF_ST | isa.BPF_MEM | isa.BPF_DW, 10, off=off, imm=self._imm()))
            elif choice < 0.6:
                b.emit(*isa.lddw(1, self._value64()),
                       Insn(isa.BPF_STX | isa.BPF_MEM | isa.BPF_DW, 10, 1, off))  # fmt: skip
            else:
                src_off = rng.randint(0, PACKET_MIN - 8)
                b.emit(Insn(isa.BPF_LDX | isa.BPF_MEM | isa.BPF_DW, 1, R_DATA, src_off),
                       Insn(isa.BPF_STX | isa.BPF_MEM | isa.BPF_DW, 10, 1, off))  # fmt: skip
        for reg in SCALARS:
            self._init_reg(b, reg)

    def _init_reg(self, b: _Builder, reg: int) -> None:
        choice = self.rng.random()
        if choice < 0.3:
            b.emit(Insn(isa.BPF_ALU64 | isa.BPF_MOV, reg, imm=self._imm()))
        elif choice < 0.45:
            b.emit(*isa.lddw(reg, self._value64()))
        elif choice < 0.8:
            self._packet_load(b, reg)
        else:
            self._stack_load(b, reg)

    def _epilogue(self, b: _Builder) -> None:
        for i, reg in enumerate(SCALARS):
            b.emit(Insn(isa.BPF_STX | isa.BPF_MEM | isa.BPF_DW, R_DATA, reg, 8 * i))
        base = 8 * len(SCALARS)
        for slot in range(STACK_SLOTS):
            b.emit(Insn(isa.BPF_LDX | isa.BPF_MEM | isa.BPF_DW, 1, 10, -8 * (slot + 1)),
                   Insn(isa.BPF_STX | isa.BPF_MEM | isa.BPF_DW, R_DATA, 1, base + 8 * slot))  # fmt: skip
        b.emit(Insn(isa.OP_EXIT))

    def _subprogram(self, b: _Builder) -> None:
        """A callee: r0 from r1..r5, some work on its own stack and registers, then exit.
        It clobbers r6 so that a caller relying on callee-saved registers would notice."""
        rng = self.rng
        b.emit(Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_X, 0, rng.choice((1, 2, 3, 4, 5))),
               Insn(isa.BPF_ALU64 | isa.BPF_MOV, 6, imm=self._imm()))  # fmt: skip
        for slot in range(STACK_SLOTS):
            b.emit(Insn(isa.BPF_STX | isa.BPF_MEM | isa.BPF_DW, 10, rng.choice(SCALARS),
                        -8 * (slot + 1)))  # fmt: skip
        self._packet_ok = False
        self._block(b, rng.randint(5, 20), self.options.max_depth - 1, [], in_callee=True)
        self._packet_ok = True
        b.emit(Insn(isa.OP_EXIT))

    # ------------------------------------------------------------------ body
    def _block(self, b: _Builder, budget: int, depth: int, subs: list[str], *, in_callee: bool) -> None:
        opts = self.options
        steps: list[tuple[float, Callable[[], None]]] = [
            (40, lambda: self._alu(b)),
            (10, lambda: self._load(b)),
            (10, lambda: self._store(b)),
            (6, lambda: self._mem_operand(b)),
            (5, lambda: self._end(b)),
            (3, lambda: b.emit(*isa.lddw(self._reg(), self._value64()))),
        ]
        if opts.cpu >= 4:
            steps.append((4, lambda: self._movsx(b)))
        if opts.atomics and opts.cpu >= 3:
            steps.append((5, lambda: self._atomic(b)))
        if depth < opts.max_depth:
            steps.append((8, lambda: self._diamond(b, depth, subs, in_callee)))
        if opts.calls and not in_callee and opts.cpu >= 1:
            steps.append((2, lambda: self._call(b, subs)))
        weights = [w for w, _ in steps]
        for _ in range(budget):
            self.rng.choices(steps, weights)[0][1]()

    def _reg(self) -> int:
        return self.rng.choice(SCALARS)

    def _imm(self) -> int:
        rng = self.rng
        if rng.random() < 0.4:
            return rng.choice(_INTERESTING)
        return rng.randint(-(1 << 31), (1 << 31) - 1)

    def _alu(self, b: _Builder) -> None:
        rng = self.rng
        cls = rng.choice((isa.BPF_ALU, isa.BPF_ALU64))
        width = 64 if cls == isa.BPF_ALU64 else 32
        if rng.random() < 0.05:
            b.emit(Insn(cls | isa.BPF_NEG, self._reg()))
            return
        op = rng.choice(_BINARY_OPS)
        off = 1 if op in _DIVS and self.options.cpu >= 4 and rng.random() < 0.4 else 0
        if rng.random() < 0.5:
            b.emit(Insn(cls | op | isa.BPF_X, self._reg(), self._reg(), off))
            return
        imm = self._imm()
        if op in _SHIFTS:
            imm = rng.randrange(width)
        elif op in _DIVS and imm == 0:
            imm = rng.choice((1, -1, 3, 10, 0x10000))
        b.emit(Insn(cls | op, self._reg(), off=off, imm=imm))

    def _mem_operand(self, b: _Builder) -> None:
        """Division, modulo or a shift whose right operand was just read from memory."""
        rng = self.rng
        src = self._reg()
        if rng.random() < 0.25:  # often a zero (or extreme) divisor / shift amount in memory
            size = rng.choice(_SIZES)
            off = self._stack_off(size)
            imm = rng.choice((0, 0, -1, 32, 64, -0x8000_0000))
            b.emit(Insn(isa.BPF_ST | isa.BPF_MEM | size, 10, off=off, imm=imm),
                   Insn(isa.BPF_LDX | isa.BPF_MEM | size, src, 10, off))  # fmt: skip
        elif self._packet_ok and rng.random() < 0.5:
            self._packet_load(b, src)
        else:
            self._stack_load(b, src)
        dst = self._reg()
        if dst != src and rng.random() < 0.3:
            b.emit(*isa.lddw(dst, self._value64()))
        op = rng.choice((*_DIVS, *_SHIFTS))
        off = 1 if op in _DIVS and self.options.cpu >= 4 and rng.random() < 0.4 else 0
        cls = rng.choice((isa.BPF_ALU, isa.BPF_ALU64))
        b.emit(Insn(cls | op | isa.BPF_X, dst, src, off))

    def _size(self) -> int:
        return self.rng.choice(_SIZES)

    def _packet_load(self, b: _Builder, dst: int) -> None:
        size = self._size()
        mode = isa.BPF_MEM
        if self.options.cpu >= 4 and size != isa.BPF_DW and self.rng.random() < 0.3:
            mode = isa.BPF_MEMSX
        off = self.rng.randint(0, PACKET_MIN - isa.SIZE_BYTES[size])
        b.emit(Insn(isa.BPF_LDX | mode | size, dst, R_DATA, off))

    def _stack_off(self, size: int) -> int:
        n = isa.SIZE_BYTES[size]
        return -self.rng.randint(1, STACK_SLOTS * 8 // n) * n

    def _stack_load(self, b: _Builder, dst: int) -> None:
        size = self._size()
        mode = isa.BPF_MEM
        if self.options.cpu >= 4 and size != isa.BPF_DW and self.rng.random() < 0.3:
            mode = isa.BPF_MEMSX
        b.emit(Insn(isa.BPF_LDX | mode | size, dst, 10, self._stack_off(size)))

    def _load(self, b: _Builder) -> None:
        if self._packet_ok and self.rng.random() < 0.5:
            self._packet_load(b, self._reg())
        else:
            self._stack_load(b, self._reg())

    def _store(self, b: _Builder) -> None:
        rng = self.rng
        size = self._size()
        if self._packet_ok and rng.random() < 0.5:
            base, off = R_DATA, rng.randint(0, PACKET_MIN - isa.SIZE_BYTES[size])
        else:
            base, off = 10, self._stack_off(size)
        if rng.random() < 0.3:
            b.emit(Insn(isa.BPF_ST | isa.BPF_MEM | size, base, off=off, imm=self._imm()))
        else:
            b.emit(Insn(isa.BPF_STX | isa.BPF_MEM | size, base, self._reg(), off))

    def _atomic(self, b: _Builder) -> None:
        rng = self.rng
        size = rng.choice((isa.BPF_W, isa.BPF_DW))
        op = rng.choice(_ATOMICS)
        src = self._reg()
        if op == isa.BPF_CMPXCHG and src == 0 and rng.random() < 0.5:
            src = rng.choice(SCALARS[1:])
        b.emit(Insn(isa.BPF_STX | isa.BPF_ATOMIC | size, 10, src, self._stack_off(size), op))

    def _end(self, b: _Builder) -> None:
        rng = self.rng
        width = rng.choice((16, 32, 64))
        if self.options.cpu >= 4 and rng.random() < 0.35:
            b.emit(Insn(isa.BPF_ALU64 | isa.BPF_END, self._reg(), imm=width))
        else:
            source = rng.choice((isa.BPF_TO_LE, isa.BPF_TO_BE))
            b.emit(Insn(isa.BPF_ALU | isa.BPF_END | source, self._reg(), imm=width))

    def _movsx(self, b: _Builder) -> None:
        if self.rng.random() < 0.5:
            b.emit(Insn(isa.BPF_ALU64 | isa.BPF_MOV | isa.BPF_X, self._reg(), self._reg(),
                        self.rng.choice((8, 16, 32))))  # fmt: skip
        else:
            b.emit(Insn(isa.BPF_ALU | isa.BPF_MOV | isa.BPF_X, self._reg(), self._reg(),
                        self.rng.choice((8, 16))))  # fmt: skip

    def _condition(self) -> Insn:
        rng = self.rng
        cls = isa.BPF_JMP if self.options.cpu < 3 or rng.random() < 0.6 else isa.BPF_JMP32
        ops = _JUMPS if self.options.cpu >= 2 else tuple(
            o for o in _JUMPS if o not in (isa.BPF_JLT, isa.BPF_JLE, isa.BPF_JSLT, isa.BPF_JSLE))
        op = rng.choice(ops)
        if rng.random() < 0.5:
            return Insn(cls | op | isa.BPF_X, self._reg(), self._reg())
        return Insn(cls | op, self._reg(), imm=self._imm())

    def _diamond(self, b: _Builder, depth: int, subs: list[str], in_callee: bool) -> None:
        rng = self.rng
        other, done = b.new_label("else"), b.new_label("done")
        b.jump(self._condition(), other)
        self._block(b, rng.randint(1, 6), depth + 1, subs, in_callee=in_callee)
        has_else = rng.random() < 0.5
        if has_else:
            if self.options.cpu >= 4 and rng.random() < 0.3:
                b.jump(Insn(isa.OP_JA32), done, "imm")
            else:
                b.jump(Insn(isa.OP_JA), done)
        b.place(other)
        if has_else:
            self._block(b, rng.randint(1, 6), depth + 1, subs, in_callee=in_callee)
            b.place(done)

    def _call(self, b: _Builder, subs: list[str]) -> None:
        if subs and self.rng.random() < 0.5:
            name = self.rng.choice(subs)
        else:
            name = f"sub{len(subs)}"
            subs.append(name)
        b.jump(Insn(isa.OP_CALL, src=isa.BPF_PSEUDO_CALL), name, "imm")
        for reg in SCALARS[1:]:  # the call clobbered r1..r5: reload them from the stack
            self._stack_load(b, reg)


def generate_case(seed: int, options: GenOptions | None = None) -> FuzzCase:
    """The program and packet for ``seed`` (deterministic)."""
    gen = ProgramGenerator(seed, options)
    insns = gen.program()
    return FuzzCase(seed, insns, gen.packet())
