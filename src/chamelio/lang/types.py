"""The type model of ``chamelio.lang``, shared by the runtime and the compiler.

This module knows nothing of how values exist at run time. Types describe storage (size,
alignment, C layout) and the typing rules of operators; every message a user sees for a type
error is written here, so plain-Python execution and the compiler report the same thing.

Python-visible names (``u32``, ``Ptr[IPv4]``, a ``@struct`` class, a map, a context class)
carry their type in a ``__lang_type__`` attribute; :func:`type_of_annotation` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chamelio import abi
from chamelio.errors import ChamelioError
from chamelio.lang import intops


class LangTypeError(ChamelioError):
    """A handler uses a value with the wrong type (mixed operands, a literal that does not fit,
    an unsupported operator). Raised by plain-Python execution and by the compiler alike."""


class LangRuntimeError(ChamelioError):
    """A fault plain-Python execution finds while running (an array index out of range, a
    helper reading outside its memory); compiled code is kept from it statically."""


class LangType:
    """Base of every type. ``size``/``align`` are bytes of C storage."""

    @property
    def name(self) -> str:
        raise NotImplementedError

    @property
    def size(self) -> int:
        raise NotImplementedError

    @property
    def align(self) -> int:
        return max(1, self.size)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class IntType(LangType):
    bits: int
    signed: bool

    @property
    def name(self) -> str:
        return f"{'i' if self.signed else 'u'}{self.bits}"

    @property
    def size(self) -> int:
        return self.bits // 8

    @property
    def min(self) -> int:
        return intops.min_value(self.bits, self.signed)

    @property
    def max(self) -> int:
        return intops.max_value(self.bits, self.signed)

    def fits(self, v: int) -> bool:
        return intops.fits(v, self.bits, self.signed)

    def wrap(self, v: int) -> int:
        return intops.wrap(v, self.bits, self.signed)


class _Unique(LangType):
    """A type with one instance per class (compared by identity)."""

    _instances: dict[type, LangType] = {}  # noqa: RUF012
    _name = ""
    _size = 0
    _align = 1

    def __new__(cls) -> _Unique:
        inst = _Unique._instances.get(cls)
        if inst is None:
            inst = _Unique._instances[cls] = super().__new__(cls)
        assert isinstance(inst, _Unique)
        return inst

    @property
    def name(self) -> str:
        return self._name

    @property
    def size(self) -> int:
        return self._size

    @property
    def align(self) -> int:
        return self._align

    def __repr__(self) -> str:
        return type(self).__name__


class BoolType(_Unique):
    """``bool``: stored as one byte holding 0 or 1."""

    _name, _size = "bool", 1


class VoidType(_Unique):
    _name = "None"


class IntLiteralType(_Unique):
    """The type of a bare Python int literal before it meets a typed operand (it then takes
    that operand's type and must fit in it). An operation between two literals stays a
    literal, folded with these same rules once it meets a type."""

    _name = "int literal"


class PacketType(_Unique):
    """The packet view returned by ``ctx.packet()`` (a pair data, data_end)."""

    _name, _size, _align = "Packet", 16, 8


@dataclass(frozen=True)
class PtrType(LangType):
    target: LangType

    @property
    def name(self) -> str:
        return f"Ptr[{self.target.name}]"

    @property
    def size(self) -> int:
        return 8


@dataclass(frozen=True)
class ArrayType(LangType):
    elem: LangType
    length: int

    @property
    def name(self) -> str:
        return f"Array[{self.elem.name}, {self.length}]"

    @property
    def size(self) -> int:
        return self.elem.size * self.length

    @property
    def align(self) -> int:
        return self.elem.align


@dataclass(frozen=True)
class StructField:
    name: str
    type: LangType
    offset: int


@dataclass(frozen=True)
class LlvmLayout:
    """What LLVM's DataLayout must compute for a non-packed struct of ``elements`` (padding is
    implicit there): per-element offsets, the total (padded) size and the alignment."""

    elements: tuple[LangType, ...]
    offsets: tuple[int, ...]
    size: int
    align: int


@dataclass(frozen=True)
class StructType(LangType):
    """A C-layout struct: fields at natural alignment, size padded to the struct's alignment.
    Build one with :func:`struct_type`; ``fields`` are ``(name, type, offset)`` triples."""

    struct_name: str
    fields: tuple[tuple[str, LangType, int], ...]
    _size: int = field(default=0, compare=False)
    _align: int = field(default=1, compare=False)

    @property
    def name(self) -> str:
        return self.struct_name

    @property
    def size(self) -> int:
        return self._size

    @property
    def align(self) -> int:
        return self._align

    def field(self, name: str) -> StructField:
        for fname, ftype, off in self.fields:
            if fname == name:
                return StructField(fname, ftype, off)
        known = ", ".join(f[0] for f in self.fields)
        raise LangTypeError(f"struct {self.name} has no field {name!r}", f"its fields: {known}")

    @property
    def llvm_layout(self) -> LlvmLayout:
        return LlvmLayout(tuple(f[1] for f in self.fields), tuple(f[2] for f in self.fields),
                          self.size, self.align)


def _align_up(v: int, a: int) -> int:
    return (v + a - 1) // a * a


def struct_type(name: str, fields: list[tuple[str, LangType]] | tuple[tuple[str, LangType], ...]
                ) -> StructType:
    """Lay out ``fields`` as a C compiler does (and ``ctypes.Structure`` with no ``_pack_``)."""
    placed: list[tuple[str, LangType, int]] = []
    offset, align = 0, 1
    seen: set[str] = set()
    for fname, ftype in fields:
        if fname in seen:
            raise LangTypeError(f"struct {name} declares field {fname!r} twice")
        seen.add(fname)
        if not isinstance(ftype, (IntType, BoolType, PtrType, ArrayType, StructType)):
            raise LangTypeError(f"struct {name}: field {fname!r} has type {ftype.name}, "
                                "which cannot be stored in a struct",
                                "use u8..i64, bool, Ptr[T], Array[T, N] or another @struct")
        offset = _align_up(offset, ftype.align)
        placed.append((fname, ftype, offset))
        offset += ftype.size
        align = max(align, ftype.align)
    return StructType(name, tuple(placed), _align_up(offset, align), align)


@dataclass(frozen=True)
class MapType(LangType):
    kind: abi.MapType
    key: LangType
    value: LangType
    max_entries: int

    @property
    def name(self) -> str:
        kind = "ArrayMap" if abi.MAP_TYPES[self.kind].keyed_by_index else "HashMap"
        return f"{kind}[{self.key.name}, {self.value.name}, {self.max_entries}]"

    @property
    def size(self) -> int:
        return 8


@dataclass(frozen=True)
class CtxType(LangType):
    layout: abi.ContextLayout
    hook: abi.Hook
    class_name: str = "Ctx"

    @property
    def name(self) -> str:
        return self.class_name

    @property
    def size(self) -> int:
        return self.layout.size

    @property
    def align(self) -> int:
        return 8

    def field_type(self, name: str) -> IntType:
        """The lang type of a scalar context field (its storage type in the ABI layout)."""
        return INT_TYPES[self.layout.field(name).ctype]


U8, U16, U32, U64 = (IntType(b, False) for b in intops.WIDTHS)
I8, I16, I32, I64 = (IntType(b, True) for b in intops.WIDTHS)
BOOL = BoolType()
VOID = VoidType()
INT_LITERAL = IntLiteralType()
PACKET = PacketType()
INT_TYPES: dict[str, IntType] = {t.name: t for t in (U8, U16, U32, U64, I8, I16, I32, I64)}

# Return types of helpers in lang terms (the ABI says only "integer"): the kernel's helpers
# return ``long``, so errno-returning helpers are i64; the others return what they produce.
HELPER_RETURN_TYPES: dict[str, LangType] = {
    "map_update_elem": I64,
    "map_delete_elem": I64,
    "ktime_get_ns": U64,
    "get_prandom_u32": U32,
    "get_smp_processor_id": U32,
    "csum_diff": I64,
    "rx_deliver": I64,
    "tx_fill": I64,
    "emit": I64,
    "notify_app": I64,
    "rearm_tx": I64,
}


def helper_return_type(name: str, map_value: LangType | None = None) -> LangType:
    """The lang type of a helper's result; ``map_lookup_elem`` gives ``Ptr[value]`` (or None)."""
    if name == "map_lookup_elem":
        if map_value is None:
            raise LangTypeError("map_lookup_elem needs the map's value type")
        return PtrType(map_value)
    try:
        return HELPER_RETURN_TYPES[name]
    except KeyError:
        raise LangTypeError(f"unknown helper {name!r}",
                            f"known: {', '.join(sorted(abi.HELPERS_BY_NAME))}") from None


def type_of_annotation(obj: object, globalns: dict[str, Any] | None = None) -> LangType:
    """The lang type an annotation denotes: ``u32`` -> ``IntType(32, False)``, ``bool`` ->
    BOOL, ``None`` -> VOID, ``XdpAction``/``Verdict`` -> u32, ``Ptr[IPv4]``/``Array[u8, 6]``/a ``@struct`` class/a map/a context
    class -> their ``__lang_type__``. A string annotation is evaluated in ``globalns``."""
    if isinstance(obj, LangType):
        return obj
    if obj is None or obj is type(None):
        return VOID
    if obj is bool:
        return BOOL
    if obj is abi.XdpAction or obj is abi.Verdict:
        return U32  # a handler may be annotated `-> XdpAction`; its members are literals
    if isinstance(obj, str):
        if globalns is None:
            raise LangTypeError(f"cannot resolve the annotation {obj!r} without the module's globals")
        try:
            resolved = eval(obj, dict(globalns))
        except Exception as e:
            raise LangTypeError(f"cannot resolve the annotation {obj!r}: {e}") from None
        return type_of_annotation(resolved, globalns)
    lt = getattr(obj, "__lang_type__", None)
    if isinstance(lt, LangType):
        return lt
    if obj is int:
        raise LangTypeError("'int' is not a lang type", "pick a width: u8, u16, u32, u64, i8 .. i64")
    raise LangTypeError(f"{obj!r} is not a lang type",
                        "annotate with u8..i64, bool, Ptr[T], Array[T, N], a @struct class or a "
                        "context type")


# ---- typing rules (the messages both executions raise) -------------------------------------

Operand = LangType | int  # an int stands for a literal with that value

ARITH_OPS = ("+", "-", "*", "//", "%", "<<", ">>", "&", "|", "^")
COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")
UNSUPPORTED_OPS = {
    "/": ("'/' is not defined on integers", "use '//' for integer division (x // 0 == 0)"),
    "**": ("'**' is not supported", "write the multiplication out, or use '<<' for powers of two"),
    "@": ("'@' is not supported", None),
    "divmod": ("divmod() is not supported", "use '//' and '%' separately"),
    "abs": ("abs() is not supported", "write `x if x >= 0 else -x`"),
}


def _name(o: Operand) -> str:
    return f"int literal {o}" if isinstance(o, int) else o.name


def _show_literal(value: int) -> str:
    """A literal for an error message; huge ones are abbreviated (str() of an int with
    thousands of digits raises ValueError)."""
    if value.bit_length() > 128:
        return f"{'-' if value < 0 else ''}<an integer of {value.bit_length()} bits>"
    return str(value)


def literal_error(value: int, ty: LangType) -> LangTypeError:
    shown = _show_literal(value)
    if isinstance(ty, IntType):
        return LangTypeError(
            f"literal {shown} does not fit in {ty.name} ({ty.min}..{ty.max})",
            f"write {ty.name}({shown}) to wrap it on purpose, or use a wider type")
    return LangTypeError(f"an int literal cannot be used as {ty.name}")


def check_literal(value: int, ty: LangType) -> int:
    """A literal meeting a value of type ``ty``: it must fit. Returns the value."""
    if isinstance(value, bool):
        if isinstance(ty, BoolType):
            return value
        raise LangTypeError(f"a bool cannot be used as {ty.name}",
                            f"convert it explicitly: {ty.name}(flag)")
    if isinstance(ty, IntType) and ty.fits(value):
        return value
    raise literal_error(value, ty)


def mixed_types_error(op: str, a: LangType, b: LangType) -> LangTypeError:
    if isinstance(a, IntType) and isinstance(b, IntType):
        wide, narrow = (a, b) if a.bits >= b.bits else (b, a)
        if a.bits == b.bits:
            hint = (f"cast one side explicitly: {a.name}(y) or {b.name}(x) "
                    "(same width: the bits are reinterpreted)")
        else:
            hint = (f"cast one side explicitly: {wide.name}(x) to widen the {narrow.name} "
                    f"operand, or {narrow.name}(y) to truncate the {wide.name} one")
        return LangTypeError(f"operands of '{op}' have different types: {a.name} and {b.name}", hint)
    if BOOL in (a, b):
        other = b if a == BOOL else a
        return LangTypeError(f"operands of '{op}' have different types: {a.name} and {b.name}",
                             f"convert the bool explicitly: {other.name}(flag)")
    return LangTypeError(f"'{op}' is not defined between {a.name} and {b.name}")


def unsupported_op(op: str) -> LangTypeError:
    msg, hint = UNSUPPORTED_OPS.get(op, (f"operator '{op}' is not supported", None))
    return LangTypeError(msg, hint)


def check_binop(op: str, left: Operand, right: Operand) -> LangType:
    """The result type of ``left op right`` for an arithmetic/bitwise/shift operator (or raise).

    Both operands must have the same integer type; a literal (an ``int`` operand) takes the
    other operand's type and must fit in it. ``& | ^`` also apply to two bools."""
    if op not in ARITH_OPS:
        raise unsupported_op(op)
    if isinstance(left, int) and isinstance(right, int):
        return INT_LITERAL
    if isinstance(left, int):
        assert isinstance(right, LangType)
        check_literal(left, right)
        left = right
    elif isinstance(right, int):
        check_literal(right, left)
        right = left
    if left == INT_LITERAL:
        left = right
    if right == INT_LITERAL:
        right = left
    if left != right:
        raise mixed_types_error(op, left, right)
    if isinstance(left, IntType):
        return left
    if isinstance(left, BoolType) and op in ("&", "|", "^"):
        return BOOL
    if isinstance(left, BoolType):
        raise LangTypeError(f"'{op}' is not defined on bool", "convert it first: u8(flag)")
    raise LangTypeError(f"'{op}' is not defined on {left.name}")


def check_compare(op: str, left: Operand, right: Operand) -> LangType:
    """Type-check a comparison; the result is always BOOL. ``is``/``is not`` compare a pointer
    (a map lookup's result) with None."""
    if op in ("is", "is not"):
        if isinstance(left, PtrType) and right == VOID:
            return BOOL
        raise LangTypeError(f"'{op}' only compares a pointer with None",
                            "use '==' / '!=' for values")
    if op not in COMPARE_OPS:
        raise unsupported_op(op)
    if isinstance(left, int) and isinstance(right, int):
        return BOOL
    if isinstance(left, int):
        assert isinstance(right, LangType)
        check_literal(left, right)
        left = right
    elif isinstance(right, int):
        check_literal(right, left)
        right = left
    if INT_LITERAL in (left, right):
        return BOOL
    if left != right:
        raise mixed_types_error(op, left, right)
    if isinstance(left, IntType):
        return BOOL
    if isinstance(left, BoolType) and op in ("==", "!="):
        return BOOL
    raise LangTypeError(f"'{op}' is not defined on {left.name}")


def check_unary(op: str, operand: Operand) -> LangType:
    """``-x`` and ``~x`` on integers (wrapping, unsigned included), ``+x``, ``not x`` on bool or
    an integer (an integer in a condition means ``!= 0``)."""
    if op == "not":
        if isinstance(operand, (int, IntType, BoolType, IntLiteralType, PtrType)):
            return BOOL
        raise LangTypeError(f"'not' is not defined on {_name(operand)}")
    if op not in ("-", "~", "+"):
        raise unsupported_op(op)
    if isinstance(operand, int) or operand == INT_LITERAL:
        return INT_LITERAL
    if isinstance(operand, IntType):
        return operand
    if isinstance(operand, BoolType):
        raise LangTypeError(f"'{op}' is not defined on bool", "convert it first: u8(flag)")
    raise LangTypeError(f"'{op}' is not defined on {operand.name}")


def check_cast(source: Operand, target: LangType) -> LangType:
    """``T(x)``: an integer, bool or literal converts to any integer type (truncating or
    extending by the source's signedness); ``bool(x)`` means ``x != 0``."""
    if isinstance(target, (BoolType, IntType)) and isinstance(
            source, (int, IntType, BoolType, IntLiteralType)):
        return target
    raise LangTypeError(f"cannot convert {_name(source)} to {target.name}",
                        "casts convert between integer types and bool only")


def check_assign(target: LangType, value: Operand, what: str = "variable") -> LangType:
    """Assigning ``value`` to a ``what`` declared ``target`` (a variable, field, map value,
    return value): same type, or a literal that fits. No implicit conversion."""
    if isinstance(value, int) and not isinstance(value, bool):
        check_literal(value, target)
        return target
    if isinstance(value, bool):
        if target == BOOL:
            return target
        value = BOOL
    if value == INT_LITERAL and isinstance(target, IntType):
        return target
    if value != target:
        assert isinstance(value, LangType)
        hint = f"convert it: {target.name}(x)" if isinstance(target, IntType) and isinstance(
            value, (IntType, BoolType)) else None
        raise LangTypeError(f"cannot assign {value.name} to a {what} of type {target.name}", hint)
    return target


def unchecked_packet_access(start: int | None, size: int, what: str = "access") -> LangTypeError:
    """A packet access no bounds check covers (plain Python raises it at the access; the
    compiler at compile time, with ``start=None`` when the offset is not a constant)."""
    if start is None:
        return LangTypeError(
            f"packet {what} of {size} byte{'s' if size != 1 else ''} at a dynamic offset is not "
            "covered by a bounds check",
            f"check it first: `if not pkt.has_at(off, {size}): return ...`")
    end = start + size
    return LangTypeError(
        f"packet {what} of bytes {start}..{end - 1} is not covered by a bounds check",
        f"check it first: `if not pkt.has({end}): return ...` (or `pkt.has_at(off, {size})` "
        "for a dynamic offset)")
