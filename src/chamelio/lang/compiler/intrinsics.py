"""What the Python objects a handler names mean to the compiler (found by identity).

The runtime owns these objects (``u32``, ``@struct`` classes, ``Array[T, N]``, maps, context
classes, ``helpers``); this module only classifies them.
"""

from __future__ import annotations

import builtins
import importlib
import inspect
import types
from typing import Any

from chamelio import abi
from chamelio.lang import types as lt

LANG_PACKAGE = "chamelio.lang"


def lang_type_of(obj: Any) -> lt.LangType | None:
    t = getattr(obj, "__lang_type__", None)
    return t if isinstance(t, lt.LangType) else None


def int_class_type(obj: Any) -> lt.IntType | None:
    """``u32`` (the class) -> U32."""
    if isinstance(obj, type):
        t = lang_type_of(obj)
        if isinstance(t, lt.IntType):
            return t
    return None


def struct_class_type(obj: Any) -> lt.StructType | None:
    if isinstance(obj, type):
        t = lang_type_of(obj)
        if isinstance(t, lt.StructType):
            return t
    return None


def array_alias_type(obj: Any) -> lt.ArrayType | None:
    if not isinstance(obj, type) and callable(obj):
        t = lang_type_of(obj)
        if isinstance(t, lt.ArrayType):
            return t
    return None


def map_type(obj: Any) -> lt.MapType | None:
    if isinstance(obj, type):
        return None
    t = lang_type_of(obj)
    return t if isinstance(t, lt.MapType) else None


def ctx_class_type(obj: Any) -> lt.CtxType | None:
    if isinstance(obj, type):
        t = lang_type_of(obj)
        if isinstance(t, lt.CtxType):
            return t
    return None


_helper_ids: dict[int, abi.Helper] | None = None


def helper_for(obj: Any) -> abi.Helper | None:
    """The ABI helper ``obj`` is (``helpers.ktime_get_ns`` -> helper 5), or None."""
    global _helper_ids
    marked = getattr(obj, "__lang_helper__", None)
    if isinstance(marked, abi.Helper):
        return marked
    if _helper_ids is None:
        table: dict[int, abi.Helper] = {}
        try:
            mod = importlib.import_module(f"{LANG_PACKAGE}.helpers")
        except ImportError:
            mod = None
        if mod is not None:
            for h in abi.HELPERS.values():
                fn = getattr(mod, h.name, None)
                if fn is not None:
                    table[id(fn)] = h
        _helper_ids = table
    return _helper_ids.get(id(obj))


def is_lang_function(obj: Any) -> bool:
    """A user's plain function (a lang function another one may call)."""
    if not isinstance(obj, types.FunctionType):
        return False
    module = getattr(obj, "__module__", "") or ""
    return not module.startswith(LANG_PACKAGE + ".")


def is_map_method(obj: Any) -> bool:
    return inspect.ismethod(obj) and map_type(obj.__self__) is not None


def builtin_name(obj: Any) -> str | None:
    for name in ("range", "min", "max", "len", "abs", "bool", "int", "print"):
        if obj is getattr(builtins, name):
            return name
    return None


def infra_name(obj: Any) -> str | None:
    """The name of a native-only infrastructure function (``atomic_add`` ...), or None."""
    from chamelio.lang.compiler.infra import INFRA_FUNCTIONS

    for name, fn in INFRA_FUNCTIONS.items():
        if obj is fn:
            return name
    return None


def is_extern(obj: Any) -> bool:
    from chamelio.lang.compiler.infra import Extern

    return isinstance(obj, Extern)


def provider_flow_type() -> lt.StructType:
    from chamelio.lang.runtime.context import ProviderFlow

    return ProviderFlow.__lang_type__


# Packet view methods: name -> (size in bytes, big endian)
PKT_LOADS: dict[str, tuple[int, bool]] = {
    "u8": (1, True), "be16": (2, True), "be32": (4, True), "be64": (8, True),
    "le16": (2, False), "le32": (4, False), "le64": (8, False),
}
PKT_STORES: dict[str, tuple[int, bool]] = {f"store_{k}": v for k, v in PKT_LOADS.items()}
UNSIGNED_BY_SIZE: dict[int, lt.IntType] = {1: lt.U8, 2: lt.U16, 4: lt.U32, 8: lt.U64}
