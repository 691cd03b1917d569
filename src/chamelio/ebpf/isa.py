"""The eBPF instruction set (RFC 9669, cpu v1..v4): the one module that knows the encoding.

A program is a ``list[Insn]`` indexed by *slot*: ``pc`` is the slot index and jump offsets
count slots, exactly as in the kernel. ``lddw`` occupies two slots: the first ``Insn``
carries the full 64-bit immediate in ``imm64`` (and its low half, signed, in ``imm``); the
second is a placeholder ``Insn(opcode=0, imm=<high 32 bits, signed>)``.

Wire format of one slot (little-endian): ``opcode:u8, dst:4 | src:4 << 4, off:s16, imm:s32``.

Besides ``decode``/``encode`` this module offers the structural check every consumer
shares (:func:`check_insn` / :func:`validate`: known opcode, unused fields zero, well-formed
``lddw``), the cpu version an instruction needs (:func:`required_cpu`) and its RFC 9669
conformance group (:func:`conformance_group`), following the table of bpf_conformance.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from chamelio.errors import ChamelioError

# ---------------------------------------------------------------------------- classes
BPF_LD: Final = 0x00
BPF_LDX: Final = 0x01
BPF_ST: Final = 0x02
BPF_STX: Final = 0x03
BPF_ALU: Final = 0x04
BPF_JMP: Final = 0x05
BPF_JMP32: Final = 0x06
BPF_ALU64: Final = 0x07

# ------------------------------------------------------------------ load/store fields
BPF_W: Final = 0x00  # 4 bytes
BPF_H: Final = 0x08  # 2 bytes
BPF_B: Final = 0x10  # 1 byte
BPF_DW: Final = 0x18  # 8 bytes

BPF_IMM: Final = 0x00
BPF_ABS: Final = 0x20  # legacy packet access
BPF_IND: Final = 0x40  # legacy packet access
BPF_MEM: Final = 0x60
BPF_MEMSX: Final = 0x80  # sign-extending load (cpu v4)
BPF_ATOMIC: Final = 0xC0

# ------------------------------------------------------------------ ALU / JMP fields
BPF_K: Final = 0x00  # source is the immediate
BPF_X: Final = 0x08  # source is the register src
BPF_TO_LE: Final = 0x00  # END with BPF_ALU: convert to little-endian
BPF_TO_BE: Final = 0x08  # END with BPF_ALU: convert to big-endian

BPF_ADD: Final = 0x00
BPF_SUB: Final = 0x10
BPF_MUL: Final = 0x20
BPF_DIV: Final = 0x30
BPF_OR: Final = 0x40
BPF_AND: Final = 0x50
BPF_LSH: Final = 0x60
BPF_RSH: Final = 0x70
BPF_NEG: Final = 0x80
BPF_MOD: Final = 0x90
BPF_XOR: Final = 0xA0
BPF_MOV: Final = 0xB0
BPF_ARSH: Final = 0xC0
BPF_END: Final = 0xD0

BPF_JA: Final = 0x00
BPF_JEQ: Final = 0x10
BPF_JGT: Final = 0x20
BPF_JGE: Final = 0x30
BPF_JSET: Final = 0x40
BPF_JNE: Final = 0x50
BPF_JSGT: Final = 0x60
BPF_JSGE: Final = 0x70
BPF_CALL: Final = 0x80
BPF_EXIT: Final = 0x90
BPF_JLT: Final = 0xA0
BPF_JLE: Final = 0xB0
BPF_JSLT: Final = 0xC0
BPF_JSLE: Final = 0xD0
BPF_JCOND: Final = 0xE0  # may_goto (JMP|JCOND|K, src 0)

# ---------------------------------------------------------------- atomic imm values
BPF_FETCH: Final = 0x01
BPF_XCHG: Final = 0xE0 | BPF_FETCH
BPF_CMPXCHG: Final = 0xF0 | BPF_FETCH

# ------------------------------------------------------------------ pseudo sources
BPF_PSEUDO_MAP_FD: Final = 1  # lddw src: imm is a map fd (or a map index after loading)
BPF_PSEUDO_MAP_VALUE: Final = 2  # lddw src: map fd + offset (next imm) into its value
BPF_PSEUDO_BTF_ID: Final = 3  # lddw src: kernel variable by BTF id
BPF_PSEUDO_FUNC: Final = 4  # lddw src: address of the subprogram at pc + imm + 1
BPF_PSEUDO_MAP_IDX: Final = 5  # lddw src: map by index into fd_array
BPF_PSEUDO_MAP_IDX_VALUE: Final = 6  # lddw src: map by index + offset into its value
BPF_PSEUDO_CALL: Final = 1  # call src: bpf-to-bpf call, imm is the relative slot offset
BPF_PSEUDO_KFUNC_CALL: Final = 2  # call src: kernel function by BTF id

# --------------------------------------------------------------- common full opcodes
OP_LDDW: Final = BPF_LD | BPF_IMM | BPF_DW  # 0x18
OP_CALL: Final = BPF_JMP | BPF_CALL | BPF_K  # 0x85
OP_CALLX: Final = BPF_JMP | BPF_CALL | BPF_X  # 0x8d; the target register is in dst
OP_EXIT: Final = BPF_JMP | BPF_EXIT  # 0x95
OP_JA: Final = BPF_JMP | BPF_JA  # 0x05; target = pc + off + 1
OP_JA32: Final = BPF_JMP32 | BPF_JA  # 0x06; target = pc + imm + 1 (cpu v4)
OP_MAY_GOTO: Final = BPF_JMP | BPF_JCOND  # 0xe5

NUM_REGS: Final = 11  # r0..r10; r10 is the read-only frame pointer
STACK_SIZE: Final = 512

# ----------------------------------------------------------------- mnemonic tables
ALU_OPS: Final[dict[int, str]] = {
    BPF_ADD: "add", BPF_SUB: "sub", BPF_MUL: "mul", BPF_DIV: "div", BPF_OR: "or",
    BPF_AND: "and", BPF_LSH: "lsh", BPF_RSH: "rsh", BPF_NEG: "neg", BPF_MOD: "mod",
    BPF_XOR: "xor", BPF_MOV: "mov", BPF_ARSH: "arsh",
}  # fmt: skip
JMP_OPS: Final[dict[int, str]] = {
    BPF_JEQ: "jeq", BPF_JGT: "jgt", BPF_JGE: "jge", BPF_JSET: "jset", BPF_JNE: "jne",
    BPF_JSGT: "jsgt", BPF_JSGE: "jsge", BPF_JLT: "jlt", BPF_JLE: "jle", BPF_JSLT: "jslt",
    BPF_JSLE: "jsle",
}  # fmt: skip
SIZE_SUFFIX: Final[dict[int, str]] = {BPF_W: "w", BPF_H: "h", BPF_B: "b", BPF_DW: "dw"}
SIZE_BYTES: Final[dict[int, int]] = {BPF_W: 4, BPF_H: 2, BPF_B: 1, BPF_DW: 8}
ATOMIC_OPS: Final[dict[int, str]] = {
    BPF_ADD: "add", BPF_OR: "or", BPF_AND: "and", BPF_XOR: "xor",
    BPF_XCHG: "xchg", BPF_CMPXCHG: "cmpxchg",
}  # fmt: skip
ATOMIC_IMMS: Final[frozenset[int]] = frozenset(
    {op for op in (BPF_ADD, BPF_OR, BPF_AND, BPF_XOR)}
    | {op | BPF_FETCH for op in (BPF_ADD, BPF_OR, BPF_AND, BPF_XOR)}
    | {BPF_XCHG, BPF_CMPXCHG}
)
END_WIDTHS: Final[frozenset[int]] = frozenset({16, 32, 64})
MOVSX_OFFSETS: Final[dict[int, frozenset[int]]] = {
    BPF_ALU: frozenset({8, 16}),
    BPF_ALU64: frozenset({8, 16, 32}),
}
CPU_VERSIONS: Final = (1, 2, 3, 4)
CONFORMANCE_GROUPS: Final = (
    "base32", "base64", "atomic32", "atomic64", "divmul32", "divmul64", "packet", "callx",
)  # fmt: skip

_SLOT = struct.Struct("<BBhi")
_U32: Final = 0xFFFFFFFF
_U64: Final = 0xFFFFFFFFFFFFFFFF


class InvalidProgram(ChamelioError):
    """A malformed instruction stream; ``pc`` is the offending slot when known."""

    def __init__(self, message: str, pc: int | None = None, hint: str | None = None) -> None:
        super().__init__(message if pc is None else f"pc {pc}: {message}", hint)
        self.pc = pc
        self.reason = message


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _fit_signed(name: str, value: int, bits: int) -> int:
    """Accept a value in [-2^(bits-1), 2^bits) and return its signed form."""
    if not -(1 << (bits - 1)) <= value < (1 << bits):
        raise ValueError(f"{name}={value} does not fit in {bits} bits")
    return _signed(value, bits)


@dataclass(frozen=True, slots=True)
class Insn:
    """One instruction slot. ``off``/``imm`` are normalised to their signed form."""

    opcode: int  # 8 bits
    dst: int = 0  # 0..15 (valid registers 0..10)
    src: int = 0  # 0..15
    off: int = 0  # signed 16-bit
    imm: int = 0  # signed 32-bit
    # lddw only: the full 64-bit immediate (low = this slot's imm, high = next slot's imm)
    imm64: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.opcode <= 0xFF:
            raise ValueError(f"opcode={self.opcode} is not a byte")
        if not 0 <= self.dst <= 15 or not 0 <= self.src <= 15:
            raise ValueError(f"register out of range (dst={self.dst}, src={self.src})")
        object.__setattr__(self, "off", _fit_signed("off", self.off, 16))
        imm = _fit_signed("imm", self.imm, 32)
        if self.imm64 is not None:
            if not -(1 << 63) <= self.imm64 <= _U64:
                raise ValueError(f"imm64={self.imm64} does not fit in 64 bits")
            imm64 = self.imm64 & _U64
            low = _signed(imm64, 32)
            if imm not in (0, low):
                raise ValueError(f"imm={self.imm} disagrees with imm64={imm64:#x}")
            object.__setattr__(self, "imm64", imm64)
            imm = low
        object.__setattr__(self, "imm", imm)

    # Field views used by every consumer (kept as properties: no stored state).
    @property
    def cls(self) -> int:
        return self.opcode & 0x07

    @property
    def op(self) -> int:
        """The operation field of ALU/JMP opcodes (``BPF_ADD``, ``BPF_JEQ``...)."""
        return self.opcode & 0xF0

    @property
    def source(self) -> int:
        """``BPF_K`` or ``BPF_X`` (for END with BPF_ALU: ``BPF_TO_LE``/``BPF_TO_BE``)."""
        return self.opcode & 0x08

    @property
    def size(self) -> int:
        """The size field of load/store opcodes (``BPF_W``, ``BPF_H``, ``BPF_B``, ``BPF_DW``)."""
        return self.opcode & 0x18

    @property
    def mode(self) -> int:
        """The mode field of load/store opcodes (``BPF_MEM``, ``BPF_ATOMIC``...)."""
        return self.opcode & 0xE0

    @property
    def is_lddw(self) -> bool:
        return self.opcode == OP_LDDW

    @property
    def uimm(self) -> int:
        """``imm`` as an unsigned 32-bit value."""
        return self.imm & _U32


def lddw(dst: int, value: int, src: int = 0) -> list[Insn]:
    """The two slots of ``lddw dst, value`` (``src`` selects a pseudo source)."""
    value &= _U64
    return [
        Insn(OP_LDDW, dst=dst, src=src, imm64=value),
        Insn(0, imm=_signed(value >> 32, 32)),
    ]


def decode(data: bytes) -> list[Insn]:
    """Decode raw little-endian instruction bytes into slots (no semantic check)."""
    if len(data) % 8:
        raise InvalidProgram(
            f"program length {len(data)} is not a multiple of 8", pc=len(data) // 8
        )
    slots = [_SLOT.unpack_from(data, i) for i in range(0, len(data), 8)]
    out: list[Insn] = []
    pc = 0
    while pc < len(slots):
        opcode, regs, off, imm = slots[pc]
        if opcode == OP_LDDW:
            if pc + 1 >= len(slots):
                raise InvalidProgram("lddw is truncated (its second slot is missing)", pc=pc)
            n_op, n_regs, n_off, n_imm = slots[pc + 1]
            out.append(
                Insn(opcode, regs & 15, regs >> 4, off, imm,
                     imm64=(imm & _U32) | ((n_imm & _U32) << 32))
            )  # fmt: skip
            out.append(Insn(n_op, n_regs & 15, n_regs >> 4, n_off, n_imm))
            pc += 2
        else:
            out.append(Insn(opcode, regs & 15, regs >> 4, off, imm))
            pc += 1
    return out


def encode(insns: list[Insn]) -> bytes:
    """Encode slots to raw bytes; the inverse of :func:`decode` on well-formed input."""
    parts: list[bytes] = []
    pc = 0
    while pc < len(insns):
        insn = insns[pc]
        parts.append(_SLOT.pack(insn.opcode, insn.dst | insn.src << 4, insn.off, insn.imm))
        if insn.is_lddw:
            if pc + 1 >= len(insns):
                raise InvalidProgram("lddw is truncated (its second slot is missing)", pc=pc)
            nxt = insns[pc + 1]
            high = nxt.imm
            if insn.imm64 is not None:
                high = _signed(insn.imm64 >> 32, 32)
                if nxt.imm != high:
                    raise InvalidProgram(
                        f"lddw imm64={insn.imm64:#x} disagrees with its second slot "
                        f"(imm={nxt.imm & _U32:#x})",
                        pc=pc,
                    )
            parts.append(_SLOT.pack(nxt.opcode, nxt.dst | nxt.src << 4, nxt.off, high))
            pc += 2
        else:
            pc += 1
    return b"".join(parts)


# --------------------------------------------------------------- structural checks
def _unused(insn: Insn, *fields: str) -> str | None:
    for name in fields:
        if getattr(insn, name):
            return f"unused field {name} is {getattr(insn, name)}, must be 0"
    return None


def _check_alu(insn: Insn) -> str | None:
    op, x = insn.op, insn.source == BPF_X
    if op == BPF_END:
        if insn.cls == BPF_ALU64 and x:
            return "invalid opcode (ALU64 END with BPF_X)"
        if insn.imm not in END_WIDTHS:
            return f"byte swap width must be 16, 32 or 64, not {insn.imm}"
        return _unused(insn, "src", "off")
    if op == BPF_NEG:
        if x:
            return "invalid opcode (NEG with BPF_X)"
        return _unused(insn, "src", "off", "imm")
    if op not in ALU_OPS:
        return "invalid ALU operation"
    if op in (BPF_DIV, BPF_MOD):
        if insn.off not in (0, 1):
            return f"offset of div/mod must be 0 or 1 (signed), not {insn.off}"
    elif op == BPF_MOV and x:
        if insn.off and insn.off not in MOVSX_OFFSETS[insn.cls]:
            return f"invalid movsx width {insn.off}"
    elif insn.off:
        return _unused(insn, "off")
    return _unused(insn, "imm") if x else _unused(insn, "src")


def _check_jmp(insn: Insn) -> str | None:
    op, x, cls = insn.op, insn.source == BPF_X, insn.cls
    if op == BPF_JA:
        if x:
            return "invalid opcode (JA with BPF_X)"
        if cls == BPF_JMP32:
            return _unused(insn, "dst", "src", "off")
        return _unused(insn, "dst", "src", "imm")
    if op == BPF_CALL:
        if cls != BPF_JMP:
            return "invalid opcode (CALL in JMP32)"
        if x:
            return _unused(insn, "src", "off", "imm")
        if insn.src not in (0, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL):
            return f"invalid call source {insn.src}"
        return _unused(insn, "dst", "off")
    if op == BPF_EXIT:
        if cls != BPF_JMP or x:
            return "invalid opcode (EXIT must be 0x95)"
        return _unused(insn, "dst", "src", "off", "imm")
    if op == BPF_JCOND:
        if cls != BPF_JMP or x:
            return "invalid opcode (may_goto must be 0xe5)"
        return _unused(insn, "dst", "src", "imm")
    if op not in JMP_OPS:
        return "invalid jump operation"
    return _unused(insn, "imm") if x else _unused(insn, "src")


def _check_mem(insn: Insn) -> str | None:
    cls, mode, size = insn.cls, insn.mode, insn.size
    if cls == BPF_LD:
        if mode == BPF_ABS and size != BPF_DW:  # legacy packet access, r6 is the skb
            return _unused(insn, "dst", "src", "off")
        if mode == BPF_IND and size != BPF_DW:
            return _unused(insn, "dst", "off")
        return "invalid opcode (LD class supports only lddw and legacy packet loads)"
    if cls == BPF_LDX:
        if mode == BPF_MEM or (mode == BPF_MEMSX and size != BPF_DW):
            return _unused(insn, "imm")
        return "invalid load mode"
    if cls == BPF_ST:
        return _unused(insn, "src") if mode == BPF_MEM else "invalid store mode"
    if mode == BPF_MEM:
        return _unused(insn, "imm")
    if mode == BPF_ATOMIC and size in (BPF_W, BPF_DW):
        return None if insn.imm in ATOMIC_IMMS else f"invalid atomic operation {insn.imm:#x}"
    return "invalid store mode"


def check_insn(insn: Insn) -> str | None:
    """Why ``insn`` (not a lddw) is not a valid encoding, or ``None`` when it is."""
    if insn.is_lddw:
        return "lddw must be checked with its second slot (use validate)"
    if insn.cls in (BPF_ALU, BPF_ALU64):
        return _check_alu(insn)
    if insn.cls in (BPF_JMP, BPF_JMP32):
        return _check_jmp(insn)
    return _check_mem(insn)


def check_lddw(first: Insn, second: Insn) -> str | None:
    """Why a lddw pair is malformed, or ``None``."""
    if first.src > BPF_PSEUDO_MAP_IDX_VALUE:
        return f"invalid lddw source {first.src}"
    if first.off:
        return f"unused field off is {first.off}, must be 0"
    if second.opcode or second.dst or second.src or second.off:
        return "second slot of lddw must have opcode, registers and offset 0"
    return None


def validate(insns: list[Insn]) -> None:
    """Raise :class:`InvalidProgram` at the first slot that is not a valid encoding.

    Purely structural (opcodes, reserved fields, lddw pairs, register numbers <= 10);
    jump targets and data flow are the verifier's business.
    """
    pc = 0
    while pc < len(insns):
        insn = insns[pc]
        if insn.is_lddw:
            if pc + 1 >= len(insns):
                raise InvalidProgram("lddw is truncated (its second slot is missing)", pc=pc)
            reason = check_lddw(insn, insns[pc + 1])
            step = 2
        else:
            reason = check_insn(insn)
            step = 1
        if reason is None and (insn.dst >= NUM_REGS or insn.src >= NUM_REGS):
            reason = f"invalid register r{max(insn.dst, insn.src)}"
        if reason is not None:
            raise InvalidProgram(f"{reason} (opcode {insn.opcode:#04x})", pc=pc)
        pc += step


# ------------------------------------------------------ cpu versions and groups
def required_cpu(insn: Insn) -> int:
    """The lowest ``-mcpu`` version (1..4) that has ``insn`` (bpf_conformance's table)."""
    cls, op = insn.cls, insn.op
    if cls == BPF_JMP32:
        return 4 if op == BPF_JA else 3
    if cls == BPF_JMP:
        if op in (BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE):
            return 2
        if op == BPF_JCOND:
            return 4
        if op == BPF_CALL and insn.source == BPF_K and insn.src:
            return 3
        return 1
    if cls in (BPF_ALU, BPF_ALU64):
        if op in (BPF_DIV, BPF_MOD) and insn.off == 1:
            return 4
        if op == BPF_MOV and insn.source == BPF_X and insn.off:
            return 4
        if op == BPF_END and cls == BPF_ALU64:
            return 4
        return 1
    if cls == BPF_LDX and insn.mode == BPF_MEMSX:
        return 4
    if cls == BPF_STX and insn.mode == BPF_ATOMIC:
        return 3
    return 1


def conformance_group(insn: Insn) -> str:
    """The RFC 9669 conformance group of ``insn`` (one of ``CONFORMANCE_GROUPS``)."""
    cls, op = insn.cls, insn.op
    if cls in (BPF_ALU, BPF_ALU64):
        wide = cls == BPF_ALU64
        if op in (BPF_MUL, BPF_DIV, BPF_MOD):
            return "divmul64" if wide else "divmul32"
        if op == BPF_END:
            return "base64" if insn.imm == 64 else "base32"
        return "base64" if wide else "base32"
    if cls == BPF_JMP:
        if op == BPF_CALL:
            return "callx" if insn.source == BPF_X else "base32"
        if op in (BPF_JA, BPF_EXIT):
            return "base32"
        return "base64"
    if cls == BPF_JMP32:
        return "base32"
    if cls == BPF_LD:
        return "base64" if insn.is_lddw else "packet"
    if insn.mode == BPF_ATOMIC:
        return "atomic64" if insn.size == BPF_DW else "atomic32"
    if insn.size == BPF_DW or (insn.mode == BPF_MEMSX and insn.size == BPF_W):
        return "base64"
    return "base32"


def program_requirements(insns: list[Insn]) -> tuple[int, frozenset[str]]:
    """The cpu version and the conformance groups a whole program needs."""
    cpu = 1
    groups: set[str] = set()
    pc = 0
    while pc < len(insns):
        insn = insns[pc]
        cpu = max(cpu, required_cpu(insn))
        groups.add(conformance_group(insn))
        pc += 2 if insn.is_lddw else 1
    return cpu, frozenset(groups)
