"""Every ABI helper as a Python function, for plain-Python runs of handlers.

``from chamelio.lang import helpers as h`` then ``h.ktime_get_ns()``, ``h.csum_diff(a, 4, b, 4,
0)``, ``h.map_lookup_elem(counts, key)`` ... Each function carries ``__lang_helper__`` (its
:class:`chamelio.abi.Helper`) so the compiler identifies it by object, and runs the ABI's
reference implementation through :class:`PythonHelperEnv`, a ``HelperEnv`` whose memory is the
views passed as arguments: pointer arguments (``Ptr``, a struct, an array, ``pkt.ptr(off)``,
None for size 0) become regions with synthetic addresses, and a read or write outside them
raises :class:`~chamelio.lang.types.LangRuntimeError`. Results take the types of
:data:`chamelio.lang.types.HELPER_RETURN_TYPES` (``map_lookup_elem``: ``Ptr[value]`` or None).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from chamelio import abi
from chamelio.abi.kinds import ArgKind, RetKind
from chamelio.lang import types as lt
from chamelio.lang.runtime.context import Ctx
from chamelio.lang.runtime.ints import INT_CLASSES, LangInt
from chamelio.lang.runtime.maps import _Map
from chamelio.lang.runtime.structs import Array, Buffer, Ptr, StructBase

U64 = (1 << 64) - 1
_BASE = 0x1000_0000_0000  # first synthetic address; regions are 4 GiB apart
_SPAN = 1 << 32


@dataclass
class _Region:
    buf: Buffer
    off: int
    limit: int
    writable: bool
    what: str


class PythonHelperEnv:
    """The ``HelperEnv`` of plain-Python runs. ``clock`` gives ``ktime_get_ns``; ``seed``
    makes ``get_prandom_u32`` reproducible."""

    def __init__(self, *, clock: Callable[[], int] | None = None, seed: int | None = None) -> None:
        self._clock = clock or time.monotonic_ns
        self._rng = random.Random(seed if seed is not None else os.urandom(8))
        self._regions: list[_Region] = []
        self._maps: list[_Map] = []
        self._ctxs: list[Ctx] = []
        self._helper = ""

    # -- per-call references ---------------------------------------------------------------
    def begin(self, helper: str) -> None:
        self._regions.clear()
        self._maps.clear()
        self._ctxs.clear()
        self._helper = helper

    def region(self, buf: Buffer, off: int, limit: int, writable: bool, what: str) -> int:
        self._regions.append(_Region(buf, off, limit, writable, what))
        return _BASE + (len(self._regions) - 1) * _SPAN

    def map_ref(self, m: _Map) -> int:
        self._maps.append(m)
        return len(self._maps)

    def ctx_ref(self, c: Ctx) -> int:
        self._ctxs.append(c)
        return len(self._ctxs)

    def _find(self, addr: int, size: int, write: bool) -> tuple[_Region, int]:
        i, rel = divmod(addr - _BASE, _SPAN)
        if addr < _BASE or i >= len(self._regions):
            raise lt.LangRuntimeError(f"{self._helper}: access to an address no argument provides")
        r = self._regions[i]
        if rel + size > r.limit - r.off:
            raise lt.LangRuntimeError(
                f"{self._helper}: {'writes' if write else 'reads'} {size} bytes at offset {rel} "
                f"of {r.what}, which has {r.limit - r.off}")
        if write and not r.writable:
            raise lt.LangRuntimeError(f"{self._helper}: {r.what} is read-only")
        return r, r.off + rel

    def _map(self, ref: int) -> _Map:
        return self._maps[ref - 1]

    def _ctx(self, ref: int) -> Any:
        return self._ctxs[ref - 1]

    # -- HelperEnv -------------------------------------------------------------------------
    def read(self, addr: int, size: int) -> bytes:
        r, at = self._find(addr, size, False)
        return bytes(r.buf[at:at + size])

    def write(self, addr: int, data: bytes) -> None:
        r, at = self._find(addr, len(data), True)
        r.buf[at:at + len(data)] = data

    def map_lookup(self, map_ref: int, key: bytes) -> int:
        buf = self._map(map_ref).lookup_raw(key)
        return 0 if buf is None else self.region(buf, 0, len(buf), True, "a map value")

    def map_update(self, map_ref: int, key: bytes, value: bytes, flags: int) -> int:
        return self._map(map_ref).update_raw(key, value, flags)

    def map_delete(self, map_ref: int, key: bytes) -> int:
        return self._map(map_ref).delete_raw(key)

    def map_key_size(self, map_ref: int) -> int:
        return self._map(map_ref).key_size

    def map_value_size(self, map_ref: int) -> int:
        return self._map(map_ref).value_size

    def now_ns(self) -> int:
        return self._clock()

    def random_u32(self) -> int:
        return self._rng.getrandbits(32)

    def rx_deliver(self, ctx: int, data: bytes) -> int:
        c = self._ctx(ctx)
        avail = c._get_raw("rx_avail")
        n = min(len(data), avail)
        c.delivered += data[:n]
        c._set_raw("rx_avail", avail - n)
        return n

    def tx_fill(self, ctx: int, offset: int, length: int) -> bytes:
        data: bytes = self._ctx(ctx).tx_data
        return data[offset:offset + length]

    def emit(self, ctx: int, data: bytes) -> int:
        self._ctx(ctx).emitted.append(bytes(data))
        return 0

    def notify_app(self, ctx: int, event: int) -> int:
        self._ctx(ctx).events.append(event)
        return 0

    def rearm_tx(self, ctx: int) -> int:
        self._ctx(ctx).tx_rearms += 1
        return 0


_env = PythonHelperEnv()


def current_env() -> PythonHelperEnv:
    return _env


def set_env(env: PythonHelperEnv) -> PythonHelperEnv:
    """Install ``env`` for the helpers; returns the previous one."""
    global _env
    previous, _env = _env, env
    return previous


@contextmanager
def using(env: PythonHelperEnv) -> Iterator[PythonHelperEnv]:
    previous = set_env(env)
    try:
        yield env
    finally:
        set_env(previous)


# ---- calling a helper ----------------------------------------------------------------------

def _memory(env: PythonHelperEnv, arg: object, writable: bool, i: int) -> int:
    what = f"argument {i + 1}"
    if arg is None:
        return 0
    if isinstance(arg, Ptr):
        buf, off, limit = arg.region()
        return env.region(buf, off, limit, writable, f"{what} ({arg.__lang_type__.name})")
    if isinstance(arg, StructBase | Array):
        size = arg.__lang_type__.size
        return env.region(arg._buf, arg._off, arg._off + size, writable,
                          f"{what} ({arg.__lang_type__.name})")
    if isinstance(arg, bytearray):
        return env.region(arg, 0, len(arg), writable, what)
    if isinstance(arg, bytes):
        return env.region(bytearray(arg), 0, len(arg), False, what)
    raise lt.LangTypeError(f"{env._helper}: {what} must point to memory (a Ptr, a struct or "
                           f"an array), not {type(arg).__name__}")


def _scalar(env: PythonHelperEnv, arg: object, i: int) -> int:
    if isinstance(arg, int):  # LangInt, literal, bool, IntEnum
        return int(arg) & U64
    raise lt.LangTypeError(f"{env._helper}: argument {i + 1} must be an integer, "
                           f"not {type(arg).__name__}")


def call(helper: abi.Helper, *args: object) -> Any:
    """Run ``helper``'s reference implementation on lang values."""
    env = _env
    if len(args) != len(helper.args):
        raise lt.LangTypeError(f"{helper.name}() takes {len(helper.args)} arguments, got {len(args)}",
                               f"({', '.join(k.value for k in helper.args)})")
    env.begin(helper.name)
    regs: list[int] = []
    the_map: _Map | None = None
    for i, (kind, arg) in enumerate(zip(helper.args, args, strict=True)):
        if kind is ArgKind.CONST_MAP_PTR:
            if not isinstance(arg, _Map):
                raise lt.LangTypeError(f"{helper.name}: argument {i + 1} must be a map")
            the_map = arg
            regs.append(env.map_ref(arg))
        elif kind is ArgKind.PTR_TO_CTX:
            if not isinstance(arg, Ctx):
                raise lt.LangTypeError(f"{helper.name}: argument {i + 1} must be the context")
            regs.append(env.ctx_ref(arg))
        elif kind in (ArgKind.PTR_TO_MAP_KEY, ArgKind.PTR_TO_MAP_VALUE):
            assert the_map is not None
            data = (the_map.encode_key(arg) if kind is ArgKind.PTR_TO_MAP_KEY
                    else the_map.encode_value(arg[0] if isinstance(arg, Ptr) else arg))
            regs.append(env.region(bytearray(data), 0, len(data), False, kind.value))
        elif kind in (ArgKind.PTR_TO_MEM, ArgKind.PTR_TO_UNINIT_MEM):
            regs.append(_memory(env, arg, kind is ArgKind.PTR_TO_UNINIT_MEM, i))
        else:
            regs.append(_scalar(env, arg, i))
    regs += [0] * (5 - len(regs))
    r0 = helper.impl(env, (regs[0], regs[1], regs[2], regs[3], regs[4]))
    if helper.ret is RetKind.VOID:
        return None
    if helper.ret is RetKind.PTR_TO_MAP_VALUE_OR_NULL:
        assert the_map is not None
        if r0 == 0:
            return None
        r, at = env._find(r0, the_map.value_size, False)
        return Ptr(the_map.value_type, r.buf, at, r.limit)
    rt = lt.helper_return_type(helper.name)
    assert isinstance(rt, lt.IntType)
    return INT_CLASSES[rt](r0)


def _h(name: str) -> abi.Helper:
    return abi.HELPERS_BY_NAME[name]


# ---- one function per helper of the ABI table ----------------------------------------------

def map_lookup_elem(map: _Map, key: object) -> Ptr | None:
    return call(_h("map_lookup_elem"), map, key)


def map_update_elem(map: _Map, key: object, value: object, flags: int) -> LangInt:
    return call(_h("map_update_elem"), map, key, value, flags)


def map_delete_elem(map: _Map, key: object) -> LangInt:
    return call(_h("map_delete_elem"), map, key)


def ktime_get_ns() -> LangInt:
    return call(_h("ktime_get_ns"))


def get_prandom_u32() -> LangInt:
    return call(_h("get_prandom_u32"))


def get_smp_processor_id() -> LangInt:
    return call(_h("get_smp_processor_id"))


def csum_diff(from_ptr: object, from_size: int, to_ptr: object, to_size: int, seed: int) -> LangInt:
    return call(_h("csum_diff"), from_ptr, from_size, to_ptr, to_size, seed)


def rx_deliver(ctx: Ctx, ptr: object, size: int) -> LangInt:
    return call(_h("rx_deliver"), ctx, ptr, size)


def tx_fill(ctx: Ctx, dst: object, size: int, offset: int) -> LangInt:
    return call(_h("tx_fill"), ctx, dst, size, offset)


def emit(ctx: Ctx, ptr: object, size: int) -> LangInt:
    return call(_h("emit"), ctx, ptr, size)


def notify_app(ctx: Ctx, event: int) -> LangInt:
    return call(_h("notify_app"), ctx, event)


def rearm_tx(ctx: Ctx) -> LangInt:
    return call(_h("rearm_tx"), ctx)


HELPER_FUNCTIONS: dict[str, Callable[..., Any]] = {
    name: fn for name, fn in globals().items() if name in abi.HELPERS_BY_NAME and callable(fn)
}
for _name, _fn in HELPER_FUNCTIONS.items():
    _fn.__lang_helper__ = abi.HELPERS_BY_NAME[_name]  # type: ignore[attr-defined]
    _fn.__doc__ = abi.HELPERS_BY_NAME[_name].doc
