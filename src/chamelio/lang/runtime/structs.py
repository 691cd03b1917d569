"""Structs, pointers and arrays as views over a ``bytearray`` at an offset.

``@struct`` turns an annotated class into a C-layout struct: each instance is a view (buffer,
offset), fields read and write through to the buffer in little-endian byte order (the host's
and ``bpfel``'s), nested structs and arrays are views too, and ``Cls.ctype`` is the
``ctypes.Structure`` twin with the same layout. ``Ptr[T]`` and ``Array[T, N]`` are annotations
(``__lang_type__``) and, at run time, :class:`Ptr` / :class:`Array` views.
"""

from __future__ import annotations

import ctypes
import inspect
import sys
from collections.abc import Iterator
from typing import Any, ClassVar, Generic, Literal, Self, TypeVar, get_args, get_origin

from chamelio.lang import types as lt
from chamelio.lang.runtime.ints import INT_CLASSES, LangInt, typed

Buffer = bytearray | memoryview
_T = TypeVar("_T")
_N = TypeVar("_N")

# ---- loading and storing any storable type -------------------------------------------------

_STRUCT_CLASSES: dict[lt.StructType, type[StructBase]] = {}
_CTYPES: dict[lt.LangType, Any] = {}
_INT_CTYPES: dict[lt.IntType, Any] = {
    lt.U8: ctypes.c_uint8, lt.U16: ctypes.c_uint16, lt.U32: ctypes.c_uint32,
    lt.U64: ctypes.c_uint64, lt.I8: ctypes.c_int8, lt.I16: ctypes.c_int16,
    lt.I32: ctypes.c_int32, lt.I64: ctypes.c_int64,
}

def ctype_of(t: lt.LangType) -> Any:
    """The ctypes type with the same size, alignment and layout as ``t``."""
    if isinstance(t, lt.IntType):
        return _INT_CTYPES[t]
    if isinstance(t, lt.BoolType):
        return ctypes.c_bool
    if isinstance(t, lt.PtrType):
        return ctypes.c_uint64
    if t in _CTYPES:
        return _CTYPES[t]
    if isinstance(t, lt.ArrayType):
        ct = ctype_of(t.elem) * t.length
    elif isinstance(t, lt.StructType):
        fields = [(name, ctype_of(ft)) for name, ft, _ in t.fields]
        ct = type(t.name, (ctypes.Structure,), {"_fields_": fields})
    else:
        raise lt.LangTypeError(f"{t.name} has no ctypes layout")
    _CTYPES[t] = ct
    return ct

def load(t: lt.LangType, buf: Buffer, off: int) -> Any:
    """The value of type ``t`` stored at ``buf[off:]``: ints and bools by value, structs and
    arrays as views."""
    if isinstance(t, lt.IntType):
        return INT_CLASSES[t].from_bytes_le(buf[off:off + t.size])
    if isinstance(t, lt.BoolType):
        return buf[off] != 0
    if isinstance(t, lt.StructType):
        return struct_class(t).from_buffer(buf, off)
    if isinstance(t, lt.ArrayType):
        return Array(t, buf, off)
    if isinstance(t, lt.PtrType):
        raise lt.LangRuntimeError(f"a stored {t.name} is a raw address; plain Python cannot "
                                  "follow it", "read pointer fields only in native code")
    raise lt.LangTypeError(f"cannot load a {t.name}")

def encode(t: lt.LangType, value: object, what: str = "value") -> bytes:
    """The bytes of ``value`` stored as ``t`` (type-checked as an assignment). Structs and
    arrays accept a view of the same type or, from Python code, bytes of exactly the size."""
    if isinstance(t, lt.IntType):
        v: LangInt = typed(t, value, what)
        return v.to_bytes_le()
    if isinstance(t, lt.BoolType):
        return b"\x01" if typed(t, value, what) else b"\x00"
    if isinstance(value, bytes | bytearray | memoryview):
        if len(value) != t.size:
            raise lt.LangTypeError(f"{what} of type {t.name} needs {t.size} bytes, got {len(value)}")
        return bytes(value)
    got = getattr(value, "__lang_type__", None)
    if isinstance(value, Ptr) and isinstance(t, lt.StructType | lt.ArrayType):
        got = value.target  # storing p is storing p[0]
        value = value[0]
    if got != t:
        name = got.name if isinstance(got, lt.LangType) else type(value).__name__
        raise lt.LangTypeError(f"cannot assign {name} to a {what} of type {t.name}")
    assert isinstance(value, StructBase | Array)
    return value.to_bytes()

def store(t: lt.LangType, buf: Buffer, off: int, value: object, what: str = "value") -> None:
    data = encode(t, value, what)
    if isinstance(buf, memoryview) and buf.readonly:
        raise lt.LangTypeError(f"cannot write the {what}: that memory is read-only")
    buf[off:off + len(data)] = data

# ---- Ptr -----------------------------------------------------------------------------------

class _Alias:
    """What ``Ptr[T]`` / ``Array[T, N]`` evaluate to: an annotation carrying ``__lang_type__``."""

    def __init__(self, t: lt.LangType) -> None:
        self.__lang_type__ = t

    def __repr__(self) -> str:
        return self.__lang_type__.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Alias) and other.__lang_type__ == self.__lang_type__

    def __hash__(self) -> int:
        return hash(self.__lang_type__)

    def __or__(self, other: object) -> _Alias:
        """``Ptr[T] | None`` (evaluated annotations): a pointer that may be None is a Ptr."""
        if other is None and isinstance(self.__lang_type__, lt.PtrType):
            return self
        return NotImplemented

    __ror__ = __or__

class ArrayAlias(_Alias):
    """``Array[T, N]``; calling it makes a zeroed array (a local array in a handler)."""

    __lang_type__: lt.ArrayType

    def __call__(self) -> Array[Any, Any]:
        return Array(self.__lang_type__)

class Ptr(Generic[_T]):
    """A pointer: ``p[i]`` is the i-th ``T`` from the address (only inside the region the
    pointer was made for; ``p[0]`` in practice), ``p[0] = v`` stores, and for a struct target
    ``p.field`` reads/writes ``p[0].field``. ``Ptr[T]`` is the annotation."""

    __slots__ = ("_buf", "_limit", "_off", "target")
    target: lt.LangType

    def __init__(self, target: lt.LangType, buf: Buffer, off: int, limit: int | None = None) -> None:
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "_buf", buf)
        object.__setattr__(self, "_off", off)
        object.__setattr__(self, "_limit", off + target.size if limit is None else limit)

    def __class_getitem__(cls, target: object) -> _Alias:
        return _Alias(lt.PtrType(lt.type_of_annotation(target)))

    @property
    def __lang_type__(self) -> lt.PtrType:
        return lt.PtrType(self.target)

    def _at(self, i: object) -> int:
        if not isinstance(i, int) or isinstance(i, bool):
            raise lt.LangTypeError(f"a pointer index must be an integer, not {type(i).__name__}")
        start = self._off + int(i) * self.target.size
        if int(i) < 0 or start + self.target.size > self._limit:
            n = (self._limit - self._off) // max(1, self.target.size)
            raise lt.LangRuntimeError(
                f"{self.__lang_type__.name} index {int(i)} is outside the memory it points to "
                f"({n} element{'s' if n != 1 else ''})")
        return start

    def __getitem__(self, i: int) -> _T:
        return load(self.target, self._buf, self._at(i))

    def __setitem__(self, i: int, value: object) -> None:
        store(self.target, self._buf, self._at(i), value, f"{self.target.name} through a pointer")

    def __getattr__(self, name: str) -> Any:
        if isinstance(self.target, lt.StructType) and not name.startswith("_"):
            return getattr(self[0], name)
        raise AttributeError(f"{self.__lang_type__.name} has no attribute {name!r}")

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(self.target, lt.StructType):
            setattr(self[0], name, value)
            return
        raise lt.LangTypeError(f"{self.__lang_type__.name} has no field {name!r}")

    def region(self) -> tuple[Buffer, int, int]:
        """``(buffer, offset, limit)``: the bytes this pointer may reach."""
        return self._buf, self._off, self._limit

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<{self.__lang_type__.name} at +{self._off}>"

# ---- arrays --------------------------------------------------------------------------------

def _array_length(n: object) -> int:
    if get_origin(n) is Literal and len(get_args(n)) == 1:
        n = get_args(n)[0]
    if not isinstance(n, int) or isinstance(n, bool):
        raise lt.LangTypeError(f"an array length must be a constant integer, not {n!r}",
                               "write Array[u8, 6] (or Array[u8, Literal[6]] for mypy)")
    if n <= 0:
        raise lt.LangTypeError(f"an array needs a positive length, got {n}")
    return n

class Array(Generic[_T, _N]):
    """``Array[T, N]``: N elements of type T. As an annotation it is the type (``N`` may be
    written ``Literal[N]``, which mypy accepts); ``Array[T, N]()`` makes a zeroed array; in
    memory an array is a view, indexable (bounds-checked), iterable, with ``len()``."""

    __slots__ = ("__lang_type__", "_buf", "_off")
    __lang_type__: lt.ArrayType

    def __class_getitem__(cls, params: object) -> ArrayAlias:
        if not (isinstance(params, tuple) and len(params) == 2):
            raise lt.LangTypeError(f"Array[{params!r}] needs an element type and a constant length",
                                   "write Array[u8, 6]")
        et = lt.type_of_annotation(params[0])
        if et.size == 0:
            raise lt.LangTypeError(f"{et.name} cannot be an array element")
        return ArrayAlias(lt.ArrayType(et, _array_length(params[1])))

    def __init__(self, t: lt.ArrayType | None = None, buf: Buffer | None = None,
                 off: int = 0) -> None:
        if t is None:
            raise lt.LangTypeError("an array needs its type", "write Array[u8, 6]()")
        self.__lang_type__ = t
        self._buf = bytearray(t.size) if buf is None else buf
        self._off = off

    def _at(self, i: object) -> int:
        if not isinstance(i, int) or isinstance(i, bool):
            raise lt.LangTypeError(f"an array index must be an integer, not {type(i).__name__}")
        t = self.__lang_type__
        if not 0 <= int(i) < t.length:
            raise lt.LangRuntimeError(f"index {int(i)} is out of range for {t.name}",
                                      f"check the index first: `if i < {t.length}:`")
        return self._off + int(i) * t.elem.size

    def __getitem__(self, i: int) -> _T:
        return load(self.__lang_type__.elem, self._buf, self._at(i))

    def __setitem__(self, i: int, value: object) -> None:
        store(self.__lang_type__.elem, self._buf, self._at(i), value, "array element")

    def __len__(self) -> int:
        return self.__lang_type__.length

    def __iter__(self) -> Iterator[_T]:
        for i in range(self.__lang_type__.length):
            yield self[i]

    def to_bytes(self) -> bytes:
        return bytes(self._buf[self._off:self._off + self.__lang_type__.size])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Array):
            return other.__lang_type__ == self.__lang_type__ and other.to_bytes() == self.to_bytes()
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{self.__lang_type__.name}({list(self)!r})"

# ---- structs -------------------------------------------------------------------------------

RESERVED = frozenset({"from_buffer", "from_bytes", "to_bytes", "ctype", "copy"})

class _Field:
    __slots__ = ("name", "offset", "type")

    def __init__(self, name: str, t: lt.LangType, offset: int) -> None:
        self.name, self.type, self.offset = name, t, offset

    def __get__(self, inst: StructBase | None, owner: type) -> Any:
        if inst is None:
            return self
        return load(self.type, inst._buf, inst._off + self.offset)

    def __set__(self, inst: StructBase, value: object) -> None:
        store(self.type, inst._buf, inst._off + self.offset, value, f"field {self.name}")

class StructBase:
    """Base of ``@struct`` classes. ``Cls(**fields)`` makes a zeroed value (its own buffer)."""

    __slots__ = ("_buf", "_off")
    __lang_type__: ClassVar[lt.StructType]
    ctype: ClassVar[Any]

    def __init__(self, **fields: object) -> None:
        self._buf: Buffer = bytearray(self.__lang_type__.size)
        self._off = 0
        for name, value in fields.items():
            self.__lang_type__.field(name)  # unknown names raise with the list of fields
            setattr(self, name, value)

    @classmethod
    def from_buffer(cls, buf: Buffer, off: int = 0) -> Self:
        """A view of the struct stored at ``buf[off:]`` (writes go through to ``buf``)."""
        size = cls.__lang_type__.size
        if off < 0 or off + size > len(buf):
            raise lt.LangRuntimeError(f"{cls.__name__} ({size} bytes) at offset {off} does not "
                                      f"fit in a buffer of {len(buf)} bytes")
        inst = cls.__new__(cls)
        inst._buf, inst._off = buf, off
        return inst

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Self:
        """A new value holding a copy of ``data`` (exactly the struct's size)."""
        return cls.from_buffer(bytearray(encode(cls.__lang_type__, data)))

    def to_bytes(self) -> bytes:
        return bytes(self._buf[self._off:self._off + self.__lang_type__.size])

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    def copy(self) -> Self:
        return type(self).from_bytes(self.to_bytes())

    def __setattr__(self, name: str, value: object) -> None:
        if name in StructBase.__slots__ or isinstance(getattr(type(self), name, None), _Field):
            object.__setattr__(self, name, value)
            return
        self.__lang_type__.field(name)  # raises: no such field

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StructBase):
            return other.__lang_type__ == self.__lang_type__ and other.to_bytes() == self.to_bytes()
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = []
        for name, ft, _ in self.__lang_type__.fields:
            shown = "<ptr>" if isinstance(ft, lt.PtrType) else repr(getattr(self, name))
            parts.append(f"{name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"

def struct_class(t: lt.StructType) -> type[StructBase]:
    """The Python class of a struct type (``@struct`` registers it; anonymous layouts, e.g.
    built by the compiler, get a generated class)."""
    cls = _STRUCT_CLASSES.get(t)
    if cls is None:
        cls = _make_class(t, {"__module__": __name__, "__qualname__": t.name})
    return cls

def _make_class(t: lt.StructType, ns: dict[str, Any]) -> type[StructBase]:
    ns = dict(ns)
    ns["__slots__"] = ()
    ns["__lang_type__"] = t
    for name, ft, off in t.fields:
        ns[name] = _Field(name, ft, off)
    ns["ctype"] = ctype_of(t)
    cls: type[StructBase] = type(t.name, (StructBase,), ns)
    _STRUCT_CLASSES.setdefault(t, cls)
    return cls

def _declared_fields(cls: type, ns_globals: dict[str, Any]) -> lt.StructType:
    fields: list[tuple[str, lt.LangType]] = []
    for name, ann in inspect.get_annotations(cls).items():
        if name in RESERVED or name.startswith("_"):
            raise lt.LangTypeError(f"struct {cls.__name__}: {name!r} cannot be a field name",
                                   f"reserved: {', '.join(sorted(RESERVED))} and names starting with _")
        fields.append((name, lt.type_of_annotation(ann, ns_globals)))
    if not fields:
        raise lt.LangTypeError(f"struct {cls.__name__} declares no fields",
                               "annotate its fields: `ttl: u8`")
    return lt.struct_type(cls.__name__, fields)


def _namespace(cls: type, depth: int) -> dict[str, Any]:
    """Where the annotations of ``cls`` resolve: its module, then the defining frame's locals."""
    mod = sys.modules.get(cls.__module__)
    ns = dict(vars(mod)) if mod is not None else {}
    ns.update(sys._getframe(depth + 1).f_locals)
    return ns


def struct(cls: type) -> type[StructBase]:
    """Class decorator: an annotated class becomes a C-layout struct (fields in declaration
    order, natural alignment, trailing padding). Methods of the class are kept."""
    if isinstance(cls, type) and issubclass(cls, StructBase) and "__lang_type__" in vars(cls):
        return cls  # already a struct (a subclass of Struct)
    t = _declared_fields(cls, _namespace(cls, 1))
    keep = {k: v for k, v in vars(cls).items()
            if k not in ("__dict__", "__weakref__", "__annotations__")
            and k not in {f[0] for f in t.fields}}
    new = _make_class(t, keep)
    _STRUCT_CLASSES[t] = new
    return new


class Struct(StructBase):
    """Base-class spelling of ``@struct`` that type checkers understand: ``class IPv4(Struct):``
    with annotated fields gives the same struct, and mypy sees ``IPv4(ttl=...)``,
    ``.to_bytes()``, ``.ctype`` ..."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__lang_type__" in vars(cls):
            return  # made by _make_class
        t = _declared_fields(cls, _namespace(cls, 1))
        for name, ft, off in t.fields:
            setattr(cls, name, _Field(name, ft, off))
        cls.__lang_type__ = t
        cls.ctype = ctype_of(t)
        _STRUCT_CLASSES[t] = cls
