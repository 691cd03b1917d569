"""Random straight-line-with-branches XDP programs that stress packet bounds reasoning:
pointer arithmetic with constants and bounded variables, ``data_end - p`` lengths and their
copies (``mov``, ``mov32``, ``<<= 32; >>= 32``), comparisons of every kind, loads at random
offsets. Most are unsafe; whatever the verifier accepts must run without a trap."""

from __future__ import annotations

import random

from chamelio.ebpf import isa
from chamelio.ebpf.isa import Insn

_JUMPS = (isa.BPF_JGT, isa.BPF_JGE, isa.BPF_JLT, isa.BPF_JLE, isa.BPF_JEQ, isa.BPF_JNE,
          isa.BPF_JSGT, isa.BPF_JSGE, isa.BPF_JSLT, isa.BPF_JSLE)  # fmt: skip
_SIZES = (isa.BPF_B, isa.BPF_H, isa.BPF_W, isa.BPF_DW)
POINTERS = (4, 5, 6)
NUMBERS = (7, 8, 9)


def _alu(op: int, dst: int, src: int | None = None, imm: int = 0, wide: bool = True) -> Insn:
    cls = isa.BPF_ALU64 if wide else isa.BPF_ALU
    if src is None:
        return Insn(cls | op | isa.BPF_K, dst, imm=imm)
    return Insn(cls | op | isa.BPF_X, dst, src)


def packet_program(rng: random.Random, steps: int = 14, chamelio: bool = False) -> list[Insn]:
    """r2 = data, r3 = data_end; r4..r6 packet pointers, r7..r9 numbers. ``chamelio``: the
    context of chamelio/rx (64-bit pointer fields), pointers in r6, r7 and numbers in r8, r9
    (kept across calls), and calls of ``rx_deliver(ctx, p, n)``."""
    size = isa.BPF_DW if chamelio else isa.BPF_W
    pointers, numbers = ((6, 7), (8, 9)) if chamelio else (POINTERS, NUMBERS)
    out: list[Insn | tuple[int, int, int | None, int, int]] = [
        Insn(isa.BPF_LDX | isa.BPF_MEM | size, 2, 1, 0),
        Insn(isa.BPF_LDX | isa.BPF_MEM | size, 3, 1, 8 if chamelio else 4),
    ]
    for r in pointers:
        out.append(_alu(isa.BPF_MOV, r, 2))
    for r in numbers:
        out.append(_alu(isa.BPF_MOV, r, imm=rng.randint(0, 40)))
    for _ in range(steps):
        p, n = rng.choice(pointers), rng.choice(numbers)
        k = rng.random()
        if k < 0.15:
            out.append(_alu(isa.BPF_ADD, p, imm=rng.randint(-4, 40)))
        elif k < 0.25:
            out.append(_alu(isa.BPF_ADD, p, n))
        elif k < 0.35:
            out.append(_alu(isa.BPF_MOV, n, 3))
            out.append(_alu(isa.BPF_SUB, n, p))
        elif k < 0.45:
            other = rng.choice(numbers)
            form = rng.random()
            if form < 0.4:
                out.append(_alu(isa.BPF_MOV, other, n))
            elif form < 0.7:
                out.append(_alu(isa.BPF_MOV, other, n, wide=False))
            else:
                out.extend([_alu(isa.BPF_MOV, other, n), _alu(isa.BPF_LSH, other, imm=32),
                            _alu(isa.BPF_RSH, other, imm=32)])  # fmt: skip
        elif k < 0.55:
            out.append(_alu(isa.BPF_AND, n, imm=rng.choice((7, 15, 31, 63))))
        elif chamelio and k < 0.6:
            # rx_deliver(ctx, p, n) or (ctx, p, data_end - p), often after p <= data_end
            if rng.random() < 0.6:
                out.append((isa.BPF_JGT, p, 3, 0, 8))
            length = _alu(isa.BPF_MOV, 3, n) if rng.random() < 0.3 else _alu(isa.BPF_SUB, 3, p)
            out.extend([Insn(isa.BPF_STX | isa.BPF_MEM | isa.BPF_DW, 10, 1, -8),
                        _alu(isa.BPF_MOV, 2, p), length,
                        Insn(isa.BPF_JMP | isa.BPF_CALL, imm=1001),
                        Insn(isa.BPF_LDX | isa.BPF_MEM | isa.BPF_DW, 1, 10, -8),
                        Insn(isa.BPF_LDX | isa.BPF_MEM | isa.BPF_DW, 2, 1, 0),
                        Insn(isa.BPF_LDX | isa.BPF_MEM | isa.BPF_DW, 3, 1, 8)])  # fmt: skip
        elif k < 0.75:
            size = rng.choice(_SIZES)
            dst = rng.choice(numbers)
            out.append(Insn(isa.BPF_LDX | isa.BPF_MEM | size, dst, p, rng.randint(-2, 24)))
        else:
            op = rng.choice(_JUMPS)
            skip = rng.randint(1, 4)
            form = rng.random()
            if form < 0.5:
                a, b = (p, 3) if rng.random() < 0.5 else (3, p)
                out.append((op, a, b, 0, skip))
            else:
                out.append((op, n, None, rng.randint(0, 48), skip))
    out.extend([_alu(isa.BPF_MOV, 0, imm=2), Insn(isa.OP_EXIT)])
    insns: list[Insn] = []
    for pc, item in enumerate(out):
        if isinstance(item, Insn):
            insns.append(item)
            continue
        op, left, right, imm, distance = item
        distance = min(distance, len(out) - pc - 3)  # never past the final mov/exit
        if right is None:
            insns.append(Insn(isa.BPF_JMP | op | isa.BPF_K, left, off=distance, imm=imm))
        else:
            insns.append(Insn(isa.BPF_JMP | op | isa.BPF_X, left, right, off=distance))
    return insns
