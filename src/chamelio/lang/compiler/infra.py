"""Trusted, native-only building blocks for the provider's own infrastructure.

Tenant handlers never use these (the bpf target rejects them); the provider writes its fast
path in the same language and compiles it with the ``native`` target:

* :func:`extern` — a C function (libc or the provider's), called directly from native code;
  in plain Python it is called through ctypes;
* :func:`raw_ptr` / :func:`addr_of` — pointers from and to raw addresses (``p[i]`` indexes
  freely on the native target);
* atomics with explicit orderings (:class:`Order`): :func:`atomic_load`,
  :func:`atomic_store`, :func:`atomic_add`, :func:`atomic_cas`, :func:`fence`;
* unbounded ``while`` loops (the native target accepts them);
* batch entry points: a native handler taking only a context also gets
  ``NativeFunction.run_batch(ctxs)`` (one crossing for many packets).

Their plain-Python versions run on ctypes memory, single-threaded (the GIL orders them).
"""

from __future__ import annotations

import ctypes
import enum
from typing import Any

from chamelio.lang import types as lt
from chamelio.lang.runtime.ints import INT_CLASSES
from chamelio.lang.runtime.structs import Ptr, ctype_of


class Order(enum.IntEnum):
    """Memory orderings (C11's, LLVM's names in comments)."""

    RELAXED = 0  # monotonic
    ACQUIRE = 1
    RELEASE = 2
    ACQ_REL = 3
    SEQ_CST = 4


LLVM_ORDER = {Order.RELAXED: "monotonic", Order.ACQUIRE: "acquire", Order.RELEASE: "release",
              Order.ACQ_REL: "acq_rel", Order.SEQ_CST: "seq_cst"}


def _c_type(t: lt.LangType) -> Any:
    if isinstance(t, lt.VoidType):
        return None
    if isinstance(t, (lt.PtrType, lt.StructType, lt.ArrayType)):
        return ctypes.c_void_p
    return ctype_of(t)


def _address(v: Any) -> int:
    if isinstance(v, Ptr):
        buf, off, _ = v.region()
        return addr_of_buffer(buf) + off
    if hasattr(v, "_buf") and hasattr(v, "_off"):
        return addr_of_buffer(v._buf) + v._off
    return int(v)


def addr_of_buffer(buf: Any) -> int:
    try:
        return ctypes.addressof((ctypes.c_char * max(1, len(buf))).from_buffer(buf))
    except (TypeError, ValueError):
        raise lt.LangRuntimeError("this memory has no stable address in plain Python") from None


class Extern:
    """A C function declared for the native target: ``extern("strlen", [Ptr[u8]], u64)``."""

    def __init__(self, name: str, args: list[Any], ret: Any) -> None:
        self.name = name
        self.arg_types = tuple(lt.type_of_annotation(a) for a in args)
        self.ret_type = lt.type_of_annotation(ret)
        for t in (*self.arg_types, self.ret_type):
            if not isinstance(t, (lt.IntType, lt.BoolType, lt.PtrType, lt.VoidType)):
                raise lt.LangTypeError(f"extern {name}: {t.name} cannot cross a C call",
                                       "use integers, bool and Ptr[T]")
        self._fn: Any = None

    def __repr__(self) -> str:
        args = ", ".join(t.name for t in self.arg_types)
        return f"extern {self.name}({args}) -> {self.ret_type.name}"

    def __call__(self, *args: Any) -> Any:
        if self._fn is None:
            fn = getattr(ctypes.CDLL(None), self.name)
            fn.restype = _c_type(self.ret_type)
            fn.argtypes = [_c_type(t) for t in self.arg_types]
            self._fn = fn
        raw = [_address(a) if isinstance(t, lt.PtrType) else int(a)
               for a, t in zip(args, self.arg_types, strict=True)]
        r = self._fn(*raw)
        if isinstance(self.ret_type, lt.IntType):
            return INT_CLASSES[self.ret_type](r)
        if isinstance(self.ret_type, lt.BoolType):
            return bool(r)
        return r


def extern(name: str, args: list[Any], ret: Any) -> Extern:
    return Extern(name, args, ret)


def raw_ptr(t: Any, address: int, count: int = 1) -> Ptr[Any]:
    """``Ptr[T]`` to ``count`` values of ``T`` at a raw address."""
    target = lt.type_of_annotation(t)
    mem = (ctypes.c_char * (target.size * count)).from_address(int(address))
    return Ptr(target, memoryview(mem).cast("B"), 0, target.size * count)


def addr_of(p: Any) -> Any:
    """The address a pointer (or a struct/array view) holds, as a u64."""
    return INT_CLASSES[lt.U64](_address(p))


def atomic_load(p: Ptr[Any], order: int = Order.SEQ_CST) -> Any:
    return p[0]


def atomic_store(p: Ptr[Any], value: Any, order: int = Order.SEQ_CST) -> None:
    p[0] = value


def atomic_add(p: Ptr[Any], value: Any, order: int = Order.SEQ_CST) -> Any:
    """Add ``value`` to ``p[0]``; returns the old value."""
    old = p[0]
    p[0] = old + value
    return old


def atomic_cas(p: Ptr[Any], expected: Any, new: Any, order: int = Order.SEQ_CST) -> Any:
    """Store ``new`` if ``p[0] == expected``; returns the old value either way."""
    old = p[0]
    if old == expected:
        p[0] = new
    return old


def fence(order: int = Order.SEQ_CST) -> None:
    """A memory fence (nothing to do in plain Python)."""


INFRA_FUNCTIONS = {
    "raw_ptr": raw_ptr, "addr_of": addr_of, "atomic_load": atomic_load,
    "atomic_store": atomic_store, "atomic_add": atomic_add, "atomic_cas": atomic_cas,
    "fence": fence,
}
