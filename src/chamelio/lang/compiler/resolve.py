"""Pass 2, *resolve*: every name means a local or a Python object, found through the function's
``__globals__`` (never by spelling, so ``import chamelio.lang as cl`` and ``from ... import u32
as word`` both work).

The result maps each ``Name``/``Attribute``/``Subscript`` node whose value is known at compile
time (a type, a map, a helper, a module constant, a lang function) to that object.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field
from typing import Any

from chamelio.lang.compiler.frontend import FunctionSource

_BUILTINS: dict[str, Any] = {
    name: getattr(builtins, name) for name in ("range", "min", "max", "bool", "int", "len", "abs")
}


class _Missing:
    def __repr__(self) -> str:
        return "<dynamic>"


MISSING: Any = _Missing()


@dataclass
class Resolution:
    locals: set[str]
    statics: dict[ast.AST, Any] = field(default_factory=dict)

    def static(self, node: ast.AST) -> Any:
        """The compile-time object ``node`` denotes, or :data:`MISSING`."""
        return self.statics.get(node, MISSING)


def local_names(fn: ast.FunctionDef) -> set[str]:
    """Python's rule: a name bound anywhere in the function is local to all of it."""
    names = {a.arg for a in fn.args.args}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def resolve(src: FunctionSource) -> Resolution:
    res = Resolution(local_names(src.node))
    fn = src.node
    for arg in fn.args.args:
        if arg.annotation is not None:
            _visit(src, res, arg.annotation)
    if fn.returns is not None:
        _visit(src, res, fn.returns)
    for stmt in fn.body:
        _visit(src, res, stmt)
    return res


def _visit(src: FunctionSource, res: Resolution, node: ast.AST) -> None:
    if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)) and \
            _static(src, res, node) is not MISSING:
        return
    for child in ast.iter_child_nodes(node):
        _visit(src, res, child)


def _static(src: FunctionSource, res: Resolution, node: ast.AST) -> Any:
    if node in res.statics:
        return res.statics[node]
    value: Any = MISSING
    if isinstance(node, ast.Name):
        if isinstance(node.ctx, ast.Load) and node.id not in res.locals:
            if node.id in src.globals:
                value = src.globals[node.id]
            elif node.id in _BUILTINS:
                value = _BUILTINS[node.id]
            else:
                raise src.loc.error(node, f"name {node.id!r} is not defined",
                                    "define it at module level or assign it before use")
    elif isinstance(node, ast.Attribute):
        base = _static(src, res, node.value)
        if base is not MISSING:
            try:
                value = getattr(base, node.attr)
            except AttributeError:
                what = getattr(base, "__name__", type(base).__name__)
                raise src.loc.error(node, f"{what} has no attribute {node.attr!r}") from None
    elif isinstance(node, ast.Subscript):
        base = _static(src, res, node.value)
        if base is not MISSING:
            index = _static_index(src, res, node.slice)
            if index is not MISSING:
                try:
                    value = base[index]
                except Exception as exc:
                    if _is_type_former(base):
                        raise src.loc.error(node, f"invalid type expression: {exc}") from None
    if value is not MISSING:
        res.statics[node] = value
    return value


def _is_type_former(obj: Any) -> bool:
    """``Ptr``, ``Array``, ``Literal``: subscripting them builds a type at compile time."""
    return isinstance(obj, type) or hasattr(obj, "__class_getitem__") or \
        type(obj).__module__ == "typing"


def _static_index(src: FunctionSource, res: Resolution, node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple):
        items = [_static_index(src, res, e) for e in node.elts]
        return MISSING if any(i is MISSING for i in items) else tuple(items)
    return _static(src, res, node)
