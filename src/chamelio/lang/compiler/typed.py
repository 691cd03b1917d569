"""What the *check* pass hands to *lower*: the types and meanings of a function's nodes.

The checker never rewrites the AST. It records, per node, the lang type of every expression
(``ty``), the value of every compile-time constant (``const``) and what each call, attribute
and subscript means (``info``, one of the small records below). The lowerer reads only these.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from chamelio import abi
from chamelio.lang.compiler.frontend import FunctionSource
from chamelio.lang.types import CtxType, LangType, MapType, StructType

# ---- meanings of calls, attributes and subscripts -----------------------------------------


@dataclass(frozen=True)
class Cast:
    target: LangType


@dataclass(frozen=True)
class HelperCall:
    helper: abi.Helper
    ret: LangType


@dataclass(frozen=True)
class MapOp:
    map_obj: Any  # the runtime map object (identity names the global)
    op: str  # "lookup" | "update" | "delete"
    type: MapType
    first: int = 0  # index in the call's args of the key (1 for h.map_*_elem(m, ...))


@dataclass(frozen=True)
class PacketOf:
    """``ctx.packet()``."""

    ctx: CtxType


@dataclass(frozen=True)
class PktCheck:
    """``pkt.has(n)`` (``off_var`` None) or ``pkt.has_at(off_var + off_const, n)``."""

    pkt: str
    n: int
    off_var: str | None = None
    off_const: int = 0


@dataclass(frozen=True)
class PktAccess:
    """A load (``value`` None) or store through the packet view at ``off_var + off``."""

    pkt: str
    size: int  # bytes
    big_endian: bool
    store: bool
    off: int
    off_var: str | None = None
    # a run-time offset proven to lie in 0..off within a has(n) prefix (off is then its max)
    off_expr: ast.expr | None = None


@dataclass(frozen=True)
class PktPointer:
    """``pkt.view(T, off)`` / ``pkt.ptr(off)``: a ``Ptr[target]`` into the packet."""

    pkt: str
    off: int
    off_var: str | None
    target: LangType
    off_expr: ast.expr | None = None  # as in PktAccess: off is then the offset's maximum


@dataclass(frozen=True)
class FlowState:
    """``ctx.flow_state(T)`` (tenant part) / ``ctx.provider_flow()`` (``provider``)."""

    target: LangType
    provider: bool


@dataclass(frozen=True)
class PktLen:
    pkt: str


@dataclass(frozen=True)
class CtxField:
    field: abi.ContextField
    type: LangType
    store: bool = False


@dataclass(frozen=True)
class FieldRef:
    """``s.f`` on a struct value, or on a ``Ptr[struct]`` (``via_ptr``)."""

    struct: StructType
    name: str
    offset: int
    type: LangType
    via_ptr: bool


@dataclass(frozen=True)
class Index:
    """``p[i]`` on a pointer (``is_ptr``) or ``a[i]`` on an array; elem type ``elem``."""

    elem: LangType
    is_ptr: bool
    length: int = 0


@dataclass(frozen=True)
class Construct:
    """``S()`` / ``S(f=...)`` for a struct, ``Array[T, N]()`` for an array: a zeroed temp."""

    type: LangType


@dataclass(frozen=True)
class LangCall:
    key: int  # index into Program.functions


@dataclass(frozen=True)
class ExternCall:
    """A call of a C function declared with ``infra.extern`` (native only)."""

    ext: Any


@dataclass(frozen=True)
class InfraCall:
    """``raw_ptr``, ``addr_of``, ``atomic_*``, ``fence`` (native only)."""

    name: str
    order: int
    target: LangType


@dataclass(frozen=True)
class Builtin:
    name: str  # "min" | "max"


Info = (Cast | HelperCall | MapOp | PacketOf | PktCheck | PktAccess | PktLen | PktPointer
        | FlowState | CtxField | FieldRef | Index | Construct | LangCall | Builtin | ExternCall
        | InfraCall)


@dataclass(frozen=True)
class RangeLoop:
    """``for var in range(start, stop, step)`` with constant bounds."""

    var: str
    type: LangType
    start: int
    stop: int
    step: int


@dataclass
class TypedFunction:
    src: FunctionSource
    name: str  # the LLVM symbol
    params: list[tuple[str, LangType]]
    ret: LangType
    locals: dict[str, LangType] = field(default_factory=dict)
    ty: dict[ast.AST, LangType] = field(default_factory=dict)
    const: dict[ast.AST, int | bool] = field(default_factory=dict)
    info: dict[ast.AST, Info] = field(default_factory=dict)
    loops: dict[ast.AST, RangeLoop] = field(default_factory=dict)
    dead: set[ast.AST] = field(default_factory=set)  # statements no path reaches (unchecked)
    returns_pyint: bool = False  # some return hands plain Python a plain int (see ranges)
    pyint_params: frozenset[str] = frozenset()  # params plain Python may pass as plain ints
    is_entry: bool = False


@dataclass
class Program:
    """Everything *lower* needs: the entry, the lang functions it calls, the maps it uses."""

    target: str  # "bpf" | "native"
    hook: abi.Hook | None
    functions: list[TypedFunction] = field(default_factory=list)
    maps: dict[int, tuple[str, Any]] = field(default_factory=dict)  # id(obj) -> (name, obj)

    @property
    def entry(self) -> TypedFunction:
        return self.functions[0]
