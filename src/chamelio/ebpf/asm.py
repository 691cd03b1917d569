"""Assembler for the text syntax of bpf_conformance (ubpf style).

One instruction per line; ``#`` or ``//`` start a comment; ``name:`` defines a label (alone
or before an instruction). Registers are ``%r0``..``%r10`` (``r0`` is accepted too).
Immediates are decimal (signed 32-bit) or hex (up to ``0xffffffff``, a bit pattern); jump
targets are ``+N``/``-N`` slots or a label (``exit`` names the first ``exit`` unless defined).

Mnemonics (``<op>`` is add sub mul div sdiv or and lsh rsh mod smod xor mov arsh)::

    <op> %rD, %rS|imm       (64-bit; also <op>64)    <op>32 %rD, %rS|imm
    neg %rD / neg32 %rD     movsx{8,16,32}64 %rD, %rS / movsx{8,16}32 %rD, %rS
    le16/32/64 %rD  be16/32/64 %rD  bswap16/32/64 %rD (also swap16/32/64)
    ldx{b,h,w,dw} %rD, [%rS+off]    ldxs{b,h,w} %rD, [%rS+off]
    st{b,h,w,dw} [%rD+off], imm     stx{b,h,w,dw} [%rD+off], %rS
    lock [fetch] {add,or,and,xor}[32] [%rD+off], %rS    lock {xchg,cmpxchg}[32] [..], %rS
    lddw %rD, imm64         lddw %rD, map_fd(N) | map_value(N, off) | btf_id(N)
                            | func(label|+N) | map_idx(N) | map_idx_value(N, off)
    ja +N|label  ja32 +N|label  may_goto +N|label  j<cond>[32] %rD, %rS|imm, +N|label
    call N (helper)  call local label|+N  call kfunc N  call %rN (callx)  exit
    ldabs{b,h,w} imm  ldind{b,h,w} %rS, imm  (legacy packet access)
    .raw 0x<64-bit word>    one slot verbatim (the word as ``-- raw`` writes it)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from chamelio.ebpf import isa
from chamelio.ebpf.isa import Insn
from chamelio.errors import ChamelioError


class AsmError(ChamelioError):
    """A line of assembly that cannot be assembled; ``line`` is its 1-based line number."""

    def __init__(self, message: str, line: int, source: str | None = None) -> None:
        where = f"{source}:{line}" if source else f"line {line}"
        super().__init__(f"{where}: {message}")
        self.line = line
        self.source = source
        self.reason = message


class _LineError(Exception):
    """Raised while handling one line; turned into :class:`AsmError` with its number."""


@dataclass(slots=True)
class _Pending:
    insns: list[Insn]
    label: str | None = None  # a label to resolve into a relative slot offset
    field: str = "off"  # "off" (16-bit) or "imm" (32-bit) receives the offset


_INT_RE = re.compile(r"^([+-]?)(0[xX][0-9a-fA-F]+|[0-9]+)$")
_LABEL_RE = re.compile(r"^[A-Za-z_.$][A-Za-z0-9_.$]*$")
_MEM_RE = re.compile(r"^\[\s*(%?r\d+)\s*(?:([+-])\s*(0[xX][0-9a-fA-F]+|[0-9]+)\s*)?\]$")
_PSEUDO_RE = re.compile(r"^([a-z_]+)\s*\((.*)\)$")
PSEUDO_NAMES: dict[str, int] = {
    "map_fd": isa.BPF_PSEUDO_MAP_FD,
    "map_value": isa.BPF_PSEUDO_MAP_VALUE,
    "btf_id": isa.BPF_PSEUDO_BTF_ID,
    "func": isa.BPF_PSEUDO_FUNC,
    "map_idx": isa.BPF_PSEUDO_MAP_IDX,
    "map_idx_value": isa.BPF_PSEUDO_MAP_IDX_VALUE,
}
_SIZES = {"b": isa.BPF_B, "h": isa.BPF_H, "w": isa.BPF_W, "dw": isa.BPF_DW}


def _int(tok: str) -> tuple[int, bool]:
    m = _INT_RE.match(tok.strip())
    if not m:
        raise _LineError(f"invalid number {tok!r}")
    digits = m.group(2)
    is_hex = digits[:2].lower() == "0x"
    value = int(digits[2:], 16) if is_hex else int(digits, 10)
    return (-value if m.group(1) == "-" else value), is_hex


def _imm32(tok: str) -> int:
    value, is_hex = _int(tok)
    if is_hex and value >= 0:
        if value > 0xFFFFFFFF:
            raise _LineError(f"immediate {tok} does not fit in 32 bits")
        return value - (1 << 32) if value >> 31 else value
    if not -(1 << 31) <= value < (1 << 31):
        raise _LineError(
            f"immediate {tok} out of range (signed 32-bit: -2147483648..2147483647, "
            "or hex up to 0xffffffff)"
        )
    return value


def _signed(tok: str, bits: int, what: str) -> int:
    value, _ = _int(tok)
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise _LineError(f"{what} {tok} out of range (signed {bits}-bit)")
    return value


def _reg(tok: str) -> int:
    tok = tok.strip()
    m = re.fullmatch(r"%?r(\d+)", tok)
    if not m or int(m.group(1)) >= isa.NUM_REGS or (m.group(1) != str(int(m.group(1)))):
        raise _LineError(f"invalid register {tok!r} (registers are %r0..%r10)")
    return int(m.group(1))


def _mem(tok: str) -> tuple[int, int]:
    m = _MEM_RE.match(tok.strip())
    if not m:
        raise _LineError(f"invalid memory operand {tok!r} (expected [%rN+off])")
    off = 0
    if m.group(2):
        off = _signed(m.group(2) + m.group(3), 16, "offset")
    return _reg(m.group(1)), off


def _target(tok: str, bits: int) -> tuple[int, str | None]:
    """A jump target: (offset, None) for ``+N``/``-N``, (0, label) for a label."""
    tok = tok.strip()
    if tok.startswith(("+", "-")):
        return _signed(tok, bits, "jump offset"), None
    if not _LABEL_RE.match(tok):
        raise _LineError(f"invalid jump target {tok!r} (expected +N, -N or a label)")
    return 0, tok


def _is_reg(tok: str) -> bool:
    return tok.lstrip().startswith(("%", "r"))


def _split_operands(text: str) -> list[str]:
    """Split on commas outside brackets and parentheses."""
    out: list[str] = []
    depth, cur = 0, ""
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip() or out:
        out.append(cur.strip())
    return out


def _want(mnemonic: str, ops: list[str], n: int) -> None:
    if len(ops) != n or any(not o for o in ops):
        raise _LineError(f"invalid number of operands for {mnemonic}: expected {n}, got {len(ops)}")


# ------------------------------------------------------------------ handlers
_Handler = Callable[[str, list[str]], _Pending]


def _alu(cls: int, op: int, off: int = 0) -> _Handler:
    def handle(mn: str, ops: list[str]) -> _Pending:
        _want(mn, ops, 2)
        dst = _reg(ops[0])
        if _is_reg(ops[1]):
            return _Pending([Insn(cls | op | isa.BPF_X, dst, _reg(ops[1]), off)])
        if op == isa.BPF_MOV and off:
            raise _LineError(f"{mn} needs a register source")
        return _Pending([Insn(cls | op | isa.BPF_K, dst, 0, off, _imm32(ops[1]))])

    return handle


def _unary(opcode: int, imm: int = 0) -> _Handler:
    def handle(mn: str, ops: list[str]) -> _Pending:
        _want(mn, ops, 1)
        return _Pending([Insn(opcode, _reg(ops[0]), imm=imm)])

    return handle


def _ldx(opcode: int) -> _Handler:
    def handle(mn: str, ops: list[str]) -> _Pending:
        _want(mn, ops, 2)
        src, off = _mem(ops[1])
        return _Pending([Insn(opcode, _reg(ops[0]), src, off)])

    return handle


def _st(opcode: int) -> _Handler:
    def handle(mn: str, ops: list[str]) -> _Pending:
        _want(mn, ops, 2)
        dst, off = _mem(ops[0])
        return _Pending([Insn(opcode, dst, 0, off, _imm32(ops[1]))])

    return handle


def _stx(opcode: int, imm: int = 0) -> _Handler:
    def handle(mn: str, ops: list[str]) -> _Pending:
        _want(mn, ops, 2)
        dst, off = _mem(ops[0])
        return _Pending([Insn(opcode, dst, _reg(ops[1]), off, imm)])

    return handle


def _ld_legacy(opcode: int) -> _Handler:
    def handle(mn: str, ops: list[str]) -> _Pending:
        if opcode & 0xE0 == isa.BPF_ABS:
            _want(mn, ops, 1)
            return _Pending([Insn(opcode, imm=_imm32(ops[0]))])
        _want(mn, ops, 2)
        return _Pending([Insn(opcode, 0, _reg(ops[0]), imm=_imm32(ops[1]))])

    return handle


def _lddw(mn: str, ops: list[str]) -> _Pending:
    _want(mn, ops, 2)
    dst = _reg(ops[0])
    m = _PSEUDO_RE.match(ops[1].strip())
    if not m:
        value, _ = _int(ops[1])
        if not -(1 << 63) <= value < (1 << 64):
            raise _LineError(f"immediate {ops[1]} does not fit in 64 bits")
        return _Pending(isa.lddw(dst, value))
    name, args = m.group(1), _split_operands(m.group(2))
    if name not in PSEUDO_NAMES:
        raise _LineError(f"unknown lddw source {name!r} (known: {', '.join(PSEUDO_NAMES)})")
    if len(args) not in (1, 2) or not all(args):
        raise _LineError(f"{name}(...) takes one or two arguments")
    high = _imm32(args[1]) if len(args) == 2 else 0
    label = None
    if name == "func" and not _INT_RE.match(args[0]):
        low, label = _target(args[0], 32)
    else:
        low = _imm32(args[0])
    insns = isa.lddw(dst, (low & 0xFFFFFFFF) | (high & 0xFFFFFFFF) << 32, PSEUDO_NAMES[name])
    return _Pending(insns, label, "imm")


def _jump(cls: int, op: int) -> _Handler:
    def handle(mn: str, ops: list[str]) -> _Pending:
        _want(mn, ops, 3)
        dst = _reg(ops[0])
        off, label = _target(ops[2], 16)
        if _is_reg(ops[1]):
            return _Pending([Insn(cls | op | isa.BPF_X, dst, _reg(ops[1]), off)], label)
        return _Pending([Insn(cls | op | isa.BPF_K, dst, 0, off, _imm32(ops[1]))], label)

    return handle


def _goto(opcode: int, field: str) -> _Handler:
    def handle(mn: str, ops: list[str]) -> _Pending:
        _want(mn, ops, 1)
        value, label = _target(ops[0], 16 if field == "off" else 32)
        insn = Insn(opcode, off=value) if field == "off" else Insn(opcode, imm=value)
        return _Pending([insn], label, field)

    return handle


def _call(mn: str, ops: list[str]) -> _Pending:
    _want(mn, ops, 1)
    words = ops[0].split()
    if len(words) > 2:
        raise _LineError(f"invalid call operands {ops[0]!r}")
    mode, arg = ("helper", words[0]) if len(words) == 1 else (words[0], words[1])
    if mode == "helper" or mn == "callx":
        if _is_reg(arg) or mn == "callx":
            return _Pending([Insn(isa.OP_CALLX, _reg(arg))])
        return _Pending([Insn(isa.OP_CALL, imm=_imm32(arg))])
    if mode == "local":
        value, label = _target(arg, 32)
        return _Pending([Insn(isa.OP_CALL, src=isa.BPF_PSEUDO_CALL, imm=value)], label, "imm")
    if mode in ("kfunc", "runtime"):
        return _Pending([Insn(isa.OP_CALL, src=isa.BPF_PSEUDO_KFUNC_CALL, imm=_imm32(arg))])
    raise _LineError(f"invalid call mode {mode!r} (expected helper, local, kfunc or %rN)")


def _exit(mn: str, ops: list[str]) -> _Pending:
    _want(mn, ops, 0)
    return _Pending([Insn(isa.OP_EXIT)])


def _raw(mn: str, ops: list[str]) -> _Pending:
    """One slot verbatim; ``assemble`` re-decodes the program so lddw pairs get imm64."""
    _want(mn, ops, 1)
    word, _ = _int(ops[0])
    if not 0 <= word < 1 << 64:
        raise _LineError(f"raw slot {ops[0]} does not fit in 64 bits")
    fields = ((word >> 8) & 15, (word >> 12) & 15, (word >> 16) & 0xFFFF, word >> 32)
    return _Pending([Insn(word & 0xFF, *fields)])


_ATOMIC_NAMES = {name: imm for imm, name in isa.ATOMIC_OPS.items()} | {"xadd": isa.BPF_ADD}


def _lock(mn: str, ops: list[str]) -> _Pending:
    words = ops[0].split(None, 1) if ops else []
    fetch = bool(words) and words[0] == "fetch"
    if fetch:
        words = words[1].split(None, 1) if len(words) > 1 else []
    operands = _split_operands(words[1]) if len(words) > 1 else []
    if len(operands) != 2 or not all(operands):
        raise _LineError("invalid number of operands for lock (lock [fetch] OP [%rD+off], %rS)")
    name = words[0]
    width = isa.BPF_DW
    if name.endswith("32"):
        name, width = name[:-2], isa.BPF_W
    elif name.endswith("64"):
        name = name[:-2]
    if name not in _ATOMIC_NAMES:
        raise _LineError(f"invalid atomic operation {words[0]!r}")
    imm = _ATOMIC_NAMES[name]
    if fetch:
        if imm in (isa.BPF_XCHG, isa.BPF_CMPXCHG) or name == "xadd":
            raise _LineError(f"'fetch' is implied by (or invalid for) {name}")
        imm |= isa.BPF_FETCH
    return _stx(isa.BPF_STX | isa.BPF_ATOMIC | width, imm)(f"lock {name}", operands)


def _build_table() -> dict[str, _Handler]:
    t: dict[str, _Handler] = {}
    for op, name in isa.ALU_OPS.items():
        if op == isa.BPF_NEG:
            continue
        t[name] = t[name + "64"] = _alu(isa.BPF_ALU64, op)
        t[name + "32"] = _alu(isa.BPF_ALU, op)
    for name, op in (("sdiv", isa.BPF_DIV), ("smod", isa.BPF_MOD)):
        t[name] = t[name + "64"] = _alu(isa.BPF_ALU64, op, 1)
        t[name + "32"] = _alu(isa.BPF_ALU, op, 1)
    for cls, suffix in ((isa.BPF_ALU64, "64"), (isa.BPF_ALU, "32")):
        for width in sorted(isa.MOVSX_OFFSETS[cls]):
            t[f"movsx{width}{suffix}"] = _alu(cls, isa.BPF_MOV, width)
    t["neg"] = t["neg64"] = _unary(isa.BPF_ALU64 | isa.BPF_NEG)
    t["neg32"] = _unary(isa.BPF_ALU | isa.BPF_NEG)
    for w in sorted(isa.END_WIDTHS):
        t[f"le{w}"] = _unary(isa.BPF_ALU | isa.BPF_END | isa.BPF_TO_LE, w)
        t[f"be{w}"] = _unary(isa.BPF_ALU | isa.BPF_END | isa.BPF_TO_BE, w)
        t[f"bswap{w}"] = t[f"swap{w}"] = _unary(isa.BPF_ALU64 | isa.BPF_END, w)
    for sfx, size in _SIZES.items():
        t[f"ldx{sfx}"] = _ldx(isa.BPF_LDX | isa.BPF_MEM | size)
        t[f"st{sfx}"] = _st(isa.BPF_ST | isa.BPF_MEM | size)
        t[f"stx{sfx}"] = _stx(isa.BPF_STX | isa.BPF_MEM | size)
        if size != isa.BPF_DW:
            t[f"ldxs{sfx}"] = _ldx(isa.BPF_LDX | isa.BPF_MEMSX | size)
            t[f"ldabs{sfx}"] = _ld_legacy(isa.BPF_LD | isa.BPF_ABS | size)
            t[f"ldind{sfx}"] = _ld_legacy(isa.BPF_LD | isa.BPF_IND | size)
    for op, name in isa.JMP_OPS.items():
        t[name] = _jump(isa.BPF_JMP, op)
        t[name + "32"] = _jump(isa.BPF_JMP32, op)
    t["ja"] = _goto(isa.OP_JA, "off")
    t["ja32"] = _goto(isa.OP_JA32, "imm")
    t["may_goto"] = _goto(isa.OP_MAY_GOTO, "off")
    t["lddw"], t["call"], t["exit"], t["lock"], t[".raw"] = _lddw, _call, _exit, _lock, _raw
    t["callx"] = _call
    return t


MNEMONICS: dict[str, _Handler] = _build_table()
_WORD_OPERANDS = frozenset({"call", "callx", "lock"})  # operands start with words, not commas


def _strip_comment(line: str) -> str:
    for marker in ("#", "//", ";"):
        cut = line.find(marker)
        if cut >= 0:
            line = line[:cut]
    return line.strip()


def assemble(text: str, *, first_line: int = 1, source: str | None = None) -> list[Insn]:
    """Assemble ``text``; errors are :class:`AsmError` naming the line (``first_line`` is
    the number of the text's first line, ``source`` a file name for messages)."""
    return assemble_lines(text, first_line=first_line, source=source)[0]


def assemble_lines(
    text: str, *, first_line: int = 1, source: str | None = None
) -> tuple[list[Insn], list[int]]:
    """Like :func:`assemble`, also returning the source line number of every slot."""
    labels: dict[str, int] = {}
    pending: list[tuple[int, int, _Pending]] = []  # (line number, pc, pending)
    first_exit: int | None = None
    pc = 0
    for index, raw in enumerate(text.splitlines()):
        lineno = first_line + index
        line = _strip_comment(raw)
        try:
            m = re.match(r"^([A-Za-z_.$][A-Za-z0-9_.$]*)\s*:\s*", line)
            if m:
                name = m.group(1)
                if name in labels:
                    raise _LineError(f"duplicate label {name!r}")
                labels[name] = pc
                line = line[m.end() :]
            if not line:
                continue
            mnemonic, _, rest = line.partition(" ")
            mnemonic = mnemonic.lower()
            handler = MNEMONICS.get(mnemonic)
            if handler is None:
                raise _LineError(f"invalid mnemonic {mnemonic!r}")
            rest = rest.strip()
            ops = [rest] if mnemonic in _WORD_OPERANDS and rest else _split_operands(rest)
            item = handler(mnemonic, ops)
        except _LineError as exc:
            raise AsmError(str(exc), lineno, source) from None
        except ValueError as exc:  # a field out of range in Insn
            raise AsmError(str(exc), lineno, source) from None
        if mnemonic == "exit" and first_exit is None:
            first_exit = pc
        pending.append((lineno, pc, item))
        pc += len(item.insns)
    if first_exit is not None:
        labels.setdefault("exit", first_exit)
    out: list[Insn] = []
    slot_lines: list[int] = []
    used_raw = False
    for lineno, at, item in pending:
        insns = item.insns
        if item.label is not None:
            if item.label not in labels:
                raise AsmError(f"undefined label {item.label!r}", lineno, source)
            delta = labels[item.label] - at - 1
            bits = 16 if item.field == "off" else 32
            if not -(1 << (bits - 1)) <= delta < (1 << (bits - 1)):
                raise AsmError(f"label {item.label!r} is too far ({delta} slots)", lineno, source)
            first = insns[0]
            if first.is_lddw:
                imm64 = (first.imm64 or 0) & ~0xFFFFFFFF | (delta & 0xFFFFFFFF)
                insns = isa.lddw(first.dst, imm64, first.src)
            elif item.field == "off":
                insns = [Insn(first.opcode, first.dst, first.src, delta, first.imm)]
            else:
                insns = [Insn(first.opcode, first.dst, first.src, first.off, delta)]
        out.extend(insns)
        slot_lines.extend([lineno] * len(insns))
        used_raw = used_raw or (insns[0].is_lddw and insns[0].imm64 is None)
    if used_raw:  # a lddw written as .raw slots: give it its imm64 like decode does
        try:
            out = isa.decode(isa.encode(out))
        except isa.InvalidProgram as exc:
            last = pending[-1][0] if pending else first_line
            raise AsmError(exc.reason, last, source) from None
    return out, slot_lines


def assemble_bytes(text: str, *, source: str | None = None) -> bytes:
    """Assemble ``text`` to raw instruction bytes."""
    return isa.encode(assemble(text, source=source))
