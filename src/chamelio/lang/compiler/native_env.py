"""Helpers for natively compiled handlers called from Python.

Compiled native code calls ``chamelio_helper_<name>(r1..r5)``; when the provider's fast path
is not linked in, :class:`NativeHelpers` supplies these symbols as ctypes callbacks that run
the ABI's reference implementations on real memory: map handles are addresses of small
buffers standing for the runtime's map objects, a lookup returns the address of the runtime
map's own value storage (so plain Python sees what native code wrote), and the context
pointer leads back to the runtime context object (for the flow-I/O helpers).
"""

from __future__ import annotations

import ctypes
from typing import Any

from chamelio import abi
from chamelio.lang.runtime import helpers as rt_helpers
from chamelio.lang.runtime.context import Ctx
from chamelio.lang.runtime.maps import _Map

U64 = (1 << 64) - 1
HelperFn = ctypes.CFUNCTYPE(ctypes.c_uint64, *([ctypes.c_uint64] * 5))


def buffer_address(buf: Any, keep: list[Any]) -> int:
    """The address of a writable buffer's bytes (a ctypes view kept alive in ``keep``)."""
    n = len(buf)
    if n == 0:
        dummy = ctypes.create_string_buffer(1)
        keep.append(dummy)
        return ctypes.addressof(dummy)
    try:
        view = (ctypes.c_char * n).from_buffer(buf)
    except TypeError:  # read-only memory: hand out a copy
        view = (ctypes.c_char * n).from_buffer_copy(buf)
    keep.append(view)
    return ctypes.addressof(view)


class NativeHelpers(rt_helpers.PythonHelperEnv):
    """A ``HelperEnv`` over process memory for one native library."""

    def __init__(self) -> None:
        super().__init__()
        self.handles: dict[int, _Map] = {}  # map handle address -> map
        self._handle_bufs: list[Any] = []
        self.ctxs: dict[int, Ctx] = {}  # native ctx address -> runtime ctx (during a call)
        self.keep: list[Any] = []  # buffers exported during the current call
        self.callbacks: dict[str, Any] = {}

    # ---- symbols ---------------------------------------------------------------------------

    def map_handle(self, m: _Map) -> int:
        for addr, obj in self.handles.items():
            if obj is m:
                return addr
        buf = ctypes.create_string_buffer(8)
        self._handle_bufs.append(buf)
        addr = ctypes.addressof(buf)
        self.handles[addr] = m
        return addr

    def symbol(self, helper: abi.Helper) -> int:
        cb = self.callbacks.get(helper.name)
        if cb is None:
            def run(a1: int, a2: int, a3: int, a4: int, a5: int, _h: abi.Helper = helper) -> int:
                self._helper = _h.name
                try:
                    return int(_h.impl(self, (a1, a2, a3, a4, a5))) & U64
                except Exception:  # never unwind through native frames
                    return (-22) & U64
            cb = self.callbacks[helper.name] = HelperFn(run)
        return ctypes.cast(cb, ctypes.c_void_p).value or 0

    def end_call(self) -> None:
        self.keep.clear()
        self.ctxs.clear()

    # ---- HelperEnv over real memory --------------------------------------------------------

    def read(self, addr: int, size: int) -> bytes:
        return ctypes.string_at(addr, size) if size else b""

    def write(self, addr: int, data: bytes) -> None:
        if data:
            ctypes.memmove(addr, data, len(data))

    def _map(self, ref: int) -> _Map:
        return self.handles[ref]

    def _ctx(self, ref: int) -> Any:
        return self.ctxs[ref]

    def map_lookup(self, map_ref: int, key: bytes) -> int:
        buf = self._map(map_ref).lookup_raw(key)
        return 0 if buf is None else buffer_address(buf, self.keep)

    def now_ns(self) -> int:
        return rt_helpers.current_env().now_ns()

    def random_u32(self) -> int:
        return rt_helpers.current_env().random_u32()
