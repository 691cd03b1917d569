"""``u8 .. i64``: Python ints of a fixed width whose operators follow :mod:`chamelio.lang.intops`.

``u8(250) + 10 == u8(4)``. Operands of one operator must have the same type; a plain Python
int (a literal) takes the other operand's type and must fit in it; anything else raises the
:class:`~chamelio.lang.types.LangTypeError` the compiler raises for the same code. A value is
always held in its type's canonical range, so ``int(x)`` is the value as the type reads it.
"""

from __future__ import annotations

import operator
from typing import Any, ClassVar, NoReturn, Self, SupportsIndex, cast

from chamelio.lang import intops
from chamelio.lang import types as lt


def _raise(err: lt.LangTypeError) -> NoReturn:
    raise err


class LangInt(int):
    """Base of the fixed-width integer types (never instantiated itself)."""

    __slots__ = ()
    __lang_type__: ClassVar[lt.IntType]
    _bits: ClassVar[int]
    _signed: ClassVar[bool]

    def __new__(cls, value: object = 0) -> Self:
        if isinstance(value, int):
            v = int(value)
        elif isinstance(value, str | bytes | float) or not hasattr(value, "__index__"):
            _raise(lt.LangTypeError(
                f"cannot convert {type(value).__name__} {value!r} to {cls.__name__}",
                "casts convert between integer types and bool only"))
        else:
            v = operator.index(cast(SupportsIndex, value))
        return int.__new__(cls, intops.wrap(v, cls._bits, cls._signed))

    @classmethod
    def _make(cls, v: int) -> Self:
        return int.__new__(cls, v)

    # -- operand checking ------------------------------------------------------------------
    def _other(self, op: str, other: object) -> int | None:
        """The plain value of a valid right operand, None if ``other`` is not an int at all."""
        if isinstance(other, LangInt):
            if type(other) is type(self):
                return int(other)
            _raise(lt.mixed_types_error(op, self.__lang_type__, other.__lang_type__))
        if isinstance(other, int):
            if op in lt.COMPARE_OPS:
                lt.check_compare(op, self.__lang_type__, other)
            else:
                lt.check_binop(op, self.__lang_type__, other)
            return int(other)
        return None

    def _bin(self, op: str, other: object, reflected: bool = False) -> Any:
        b = self._other(op, other)
        if b is None:
            return NotImplemented
        a = int(self)
        if reflected:
            a, b = b, a
        cls = type(self)
        return cls._make(intops.BINARY_OPS[op](a, b, cls._bits, cls._signed))

    def _cmp(self, op: str, other: object) -> Any:
        b = self._other(op, other)
        if b is None:
            return NotImplemented
        return intops.COMPARE_OPS[op](int(self), b)

    # -- arithmetic ------------------------------------------------------------------------
    def __add__(self, o: object) -> Any: return self._bin("+", o)
    def __radd__(self, o: object) -> Any: return self._bin("+", o, True)
    def __sub__(self, o: object) -> Any: return self._bin("-", o)
    def __rsub__(self, o: object) -> Any: return self._bin("-", o, True)
    def __mul__(self, o: object) -> Any: return self._bin("*", o)
    def __rmul__(self, o: object) -> Any: return self._bin("*", o, True)
    def __floordiv__(self, o: object) -> Any: return self._bin("//", o)
    def __rfloordiv__(self, o: object) -> Any: return self._bin("//", o, True)
    def __mod__(self, o: object) -> Any: return self._bin("%", o)
    def __rmod__(self, o: object) -> Any: return self._bin("%", o, True)
    def __lshift__(self, o: object) -> Any: return self._bin("<<", o)
    def __rlshift__(self, o: object) -> Any: return self._bin("<<", o, True)
    def __rshift__(self, o: object) -> Any: return self._bin(">>", o)
    def __rrshift__(self, o: object) -> Any: return self._bin(">>", o, True)
    def __and__(self, o: object) -> Any: return self._bin("&", o)
    def __rand__(self, o: object) -> Any: return self._bin("&", o, True)
    def __or__(self, o: object) -> Any: return self._bin("|", o)
    def __ror__(self, o: object) -> Any: return self._bin("|", o, True)
    def __xor__(self, o: object) -> Any: return self._bin("^", o)
    def __rxor__(self, o: object) -> Any: return self._bin("^", o, True)

    def __truediv__(self, o: object) -> NoReturn: _raise(lt.unsupported_op("/"))
    def __rtruediv__(self, o: object) -> NoReturn: _raise(lt.unsupported_op("/"))
    def __pow__(self, o: object, m: object = None) -> NoReturn: _raise(lt.unsupported_op("**"))
    def __rpow__(self, o: object, m: object = None) -> NoReturn: _raise(lt.unsupported_op("**"))
    def __divmod__(self, o: object) -> NoReturn: _raise(lt.unsupported_op("divmod"))
    def __rdivmod__(self, o: object) -> NoReturn: _raise(lt.unsupported_op("divmod"))
    def __abs__(self) -> NoReturn: _raise(lt.unsupported_op("abs"))

    def __neg__(self) -> Self:
        return self._make(intops.neg(int(self), self._bits, self._signed))

    def __invert__(self) -> Self:
        return self._make(intops.invert(int(self), self._bits, self._signed))

    def __pos__(self) -> Self:
        return self

    # -- comparisons -----------------------------------------------------------------------
    def __eq__(self, o: object) -> Any: return self._cmp("==", o)
    def __ne__(self, o: object) -> Any: return self._cmp("!=", o)
    def __lt__(self, o: object) -> Any: return self._cmp("<", o)
    def __le__(self, o: object) -> Any: return self._cmp("<=", o)
    def __gt__(self, o: object) -> Any: return self._cmp(">", o)
    def __ge__(self, o: object) -> Any: return self._cmp(">=", o)

    __hash__ = int.__hash__

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int(self)})"

    def __str__(self) -> str:
        return str(int(self))

    def __format__(self, spec: str) -> str:
        return format(int(self), spec)

    def __reduce__(self) -> tuple[type, tuple[int]]:
        return type(self), (int(self),)

    # -- byte codec ------------------------------------------------------------------------
    def to_bytes_le(self) -> bytes:
        return intops.to_unsigned(int(self), self._bits).to_bytes(self._bits // 8, "little")

    @classmethod
    def from_bytes_le(cls, data: bytes | bytearray | memoryview) -> Self:
        return cls._make(int.from_bytes(data, "little", signed=cls._signed))




class u8(LangInt):
    """Unsigned 8-bit integer (0..255), wrapping."""
    __slots__ = ()
    __lang_type__ = lt.U8
    _bits, _signed = 8, False


class u16(LangInt):
    """Unsigned 16-bit integer, wrapping."""
    __slots__ = ()
    __lang_type__ = lt.U16
    _bits, _signed = 16, False


class u32(LangInt):
    """Unsigned 32-bit integer, wrapping."""
    __slots__ = ()
    __lang_type__ = lt.U32
    _bits, _signed = 32, False


class u64(LangInt):
    """Unsigned 64-bit integer, wrapping."""
    __slots__ = ()
    __lang_type__ = lt.U64
    _bits, _signed = 64, False


class i8(LangInt):
    """Signed 8-bit integer (-128..127), two's complement, wrapping."""
    __slots__ = ()
    __lang_type__ = lt.I8
    _bits, _signed = 8, True


class i16(LangInt):
    """Signed 16-bit integer, two's complement, wrapping."""
    __slots__ = ()
    __lang_type__ = lt.I16
    _bits, _signed = 16, True


class i32(LangInt):
    """Signed 32-bit integer, two's complement, wrapping."""
    __slots__ = ()
    __lang_type__ = lt.I32
    _bits, _signed = 32, True


class i64(LangInt):
    """Signed 64-bit integer, two's complement, wrapping."""
    __slots__ = ()
    __lang_type__ = lt.I64
    _bits, _signed = 64, True


INT_CLASSES: dict[lt.IntType, type[LangInt]] = {
    c.__lang_type__: c for c in (u8, u16, u32, u64, i8, i16, i32, i64)
}


def int_class(t: lt.IntType) -> type[LangInt]:
    return INT_CLASSES[t]


def typed(t: lt.LangType, value: object, what: str = "value") -> Any:
    """Check ``value`` against a declared type as an assignment does and return it in that
    type: a LangInt of exactly ``t``, a literal that fits (converted), a bool for bool."""
    if isinstance(t, lt.IntType):
        if isinstance(value, LangInt):
            lt.check_assign(t, value.__lang_type__, what)
            return value
        if isinstance(value, int):
            lt.check_assign(t, value, what)
            return INT_CLASSES[t]._make(int(value))
    elif isinstance(t, lt.BoolType):
        if isinstance(value, bool):
            return value
        if isinstance(value, LangInt):
            lt.check_assign(t, value.__lang_type__, what)
        if isinstance(value, int):
            lt.check_assign(t, value, what)
    raise lt.LangTypeError(f"cannot use {type(value).__name__} {value!r} as a {what} of type {t.name}")
