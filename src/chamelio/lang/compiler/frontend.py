"""Pass 1, *parse*: Python source → ``ast.FunctionDef``, checked against an allow-list.

Only the node kinds listed in :data:`ALLOWED` may appear in a handler; everything else is a
:class:`LangCompileError` at the node's position, with a hint saying what to write instead.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import linecache
import textwrap
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chamelio.lang.compiler.errors import LangCompileError, SourceLocator


@dataclass
class FunctionSource:
    """One lang function: its syntax tree, the globals its names resolve in, its position."""

    name: str
    node: ast.FunctionDef
    globals: dict[str, Any]
    loc: SourceLocator
    pyfunc: Callable[..., Any] | None = None


# Node kinds a handler may contain (operators, contexts and helper nodes included).
ALLOWED: frozenset[type[ast.AST]] = frozenset({
    ast.FunctionDef, ast.arguments, ast.arg,
    ast.Assign, ast.AnnAssign, ast.AugAssign, ast.If, ast.For, ast.While, ast.Break,
    ast.Continue, ast.Return, ast.Expr, ast.Pass,
    ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call, ast.keyword, ast.IfExp,
    ast.Name, ast.Attribute, ast.Subscript, ast.Constant, ast.Tuple,
    ast.Load, ast.Store,
    ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod, ast.LShift, ast.RShift,
    ast.BitAnd, ast.BitOr, ast.BitXor,
    ast.USub, ast.UAdd, ast.Not, ast.Invert, ast.And, ast.Or,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot,
})

# What to say about the kinds that are not allowed: (message, hint).
_REJECTED: dict[type[ast.AST], tuple[str, str]] = {
    ast.Div: ("'/' (true division) is not supported", "use '//' for integer division"),
    ast.Pow: ("'**' is not supported", "multiply explicitly or use shifts"),
    ast.MatMult: ("'@' is not supported", "there is no matrix type in handlers"),
    ast.Lambda: ("lambda expressions are not supported", "define a lang function with `def`"),
    ast.ListComp: ("list comprehensions are not supported", "use a `for i in range(N)` loop"),
    ast.SetComp: ("set comprehensions are not supported", "use a `for i in range(N)` loop"),
    ast.DictComp: ("dict comprehensions are not supported", "use a map (`HashMap`)"),
    ast.GeneratorExp: ("generator expressions are not supported", "use a `for i in range(N)` loop"),
    ast.List: ("list literals are not supported", "use a fixed array `Array[T, N]`"),
    ast.Dict: ("dict literals are not supported", "use a module-level map (`HashMap`)"),
    ast.Set: ("set literals are not supported", "use a module-level map (`HashMap`)"),
    ast.JoinedStr: ("f-strings are not supported", "handlers have no strings"),
    ast.FormattedValue: ("f-strings are not supported", "handlers have no strings"),
    ast.Starred: ("starred expressions are not supported", "pass arguments one by one"),
    ast.Slice: ("slices are not supported", "index one element at a time"),
    ast.NamedExpr: ("the walrus operator ':=' is not supported", "assign in a separate statement"),
    ast.Await: ("await is not supported", "handlers are synchronous"),
    ast.Yield: ("yield is not supported", "handlers return one value"),
    ast.YieldFrom: ("yield is not supported", "handlers return one value"),
    ast.Try: ("try/except is not supported", "handlers cannot raise; check values with `if`"),
    ast.Raise: ("raise is not supported", "return a verdict instead of raising"),
    ast.Assert: ("assert is not supported", "check with `if` and return a verdict"),
    ast.With: ("with statements are not supported", "handlers have no context managers"),
    ast.AsyncWith: ("async with is not supported", "handlers are synchronous"),
    ast.AsyncFor: ("async for is not supported", "use `for i in range(N)`"),
    ast.AsyncFunctionDef: ("async functions are not supported", "write a plain `def`"),
    ast.ClassDef: ("class definitions inside a handler are not supported",
                   "declare `@struct` classes at module level"),
    ast.Import: ("import inside a handler is not supported", "import at module level"),
    ast.ImportFrom: ("import inside a handler is not supported", "import at module level"),
    ast.Global: ("'global' is not supported", "keep state in a module-level map"),
    ast.Nonlocal: ("'nonlocal' is not supported", "keep state in a map or pass values"),
    ast.Delete: ("'del' is not supported", "use `map.delete(key)` for map entries"),
    ast.Match: ("match statements are not supported", "use if/elif/else"),
    ast.In: ("'in' is not supported", "compare explicitly or use `map.lookup(key)`"),
    ast.NotIn: ("'not in' is not supported", "compare explicitly or use `map.lookup(key)`"),
}

_ALWAYS_HINT = "see docs/design/0002-lang-surface.md for the supported subset"


def _reject(loc: SourceLocator, node: ast.AST, anchor: ast.AST) -> LangCompileError:
    kind = type(node)
    if kind in _REJECTED:
        msg, hint = _REJECTED[kind]
    elif kind is ast.FunctionDef:
        msg, hint = "nested functions are not supported", "define lang functions at module level"
    else:
        msg, hint = f"{kind.__name__} is not supported in handlers", _ALWAYS_HINT
    return loc.error(anchor, msg, hint)


def validate(src: FunctionSource) -> None:
    """Reject any node outside the allow-list, and the allowed kinds in forbidden shapes."""
    fn = src.node
    loc = src.loc
    a = fn.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs:
        raise loc.error(fn, f"{fn.name}: only plain positional parameters are supported",
                        "remove *args, **kwargs, keyword-only and positional-only markers")
    if a.defaults or a.kw_defaults:
        raise loc.error(fn, f"{fn.name}: default parameter values are not supported",
                        "pass every argument explicitly")
    for arg in a.args:
        if arg.annotation is None:
            raise loc.error(arg, f"parameter {arg.arg!r} has no type annotation",
                            f"annotate it, e.g. `{arg.arg}: u32`")
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring
    for stmt in body:
        _walk(loc, stmt, stmt)
    for arg in a.args:
        if arg.annotation is not None:
            _walk_annotation(loc, arg.annotation)
    if fn.returns is not None:
        _walk_annotation(loc, fn.returns)


def _walk_annotation(loc: SourceLocator, node: ast.AST) -> None:
    for sub in ast.walk(node):
        if not isinstance(sub, (ast.Name, ast.Attribute, ast.Subscript, ast.Tuple, ast.Constant,
                                ast.Load)):
            raise loc.error(node, "unsupported type annotation",
                            "annotate with a lang type such as `u32`, `Ptr[T]`, `Array[T, N]`")


def _walk(loc: SourceLocator, node: ast.AST, anchor: ast.AST) -> None:
    if isinstance(node, (ast.stmt, ast.expr)):
        anchor = node
    if type(node) not in ALLOWED:
        raise _reject(loc, node, anchor)
    if isinstance(node, ast.FunctionDef):
        raise _reject(loc, node, anchor)
    if isinstance(node, (ast.For, ast.While)) and node.orelse:
        raise loc.error(node, "`else` on a loop is not supported", "use a flag variable")
    if isinstance(node, ast.For) and node.type_comment:
        raise loc.error(node, "type comments are not supported", "use an annotation")
    if isinstance(node, ast.Constant) and not isinstance(node.value, (bool, int)) \
            and node.value is not None:
        what = type(node.value).__name__
        raise loc.error(node, f"{what} constants are not supported",
                        "handlers compute with fixed-width integers and bool only")
    if isinstance(node, ast.Compare) and len(node.ops) > 1:
        raise loc.error(node, "chained comparisons are not supported",
                        "write `a < b and b < c`")
    for child in ast.iter_child_nodes(node):
        _walk(loc, child, anchor)
    if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Call):
        raise loc.error(node, "an expression statement must be a call",
                        "assign the value to a variable or remove the statement")


# ---- getting the source --------------------------------------------------------------------

_counter = itertools.count(1)


def parse_function(fn: Callable[..., Any]) -> FunctionSource:
    """The syntax tree of a Python function, with positions in its file."""
    name = getattr(fn, "__name__", repr(fn))
    try:
        lines, start = inspect.getsourcelines(fn)
        file = inspect.getsourcefile(fn) or fn.__code__.co_filename
    except (OSError, TypeError, SyntaxError, UnicodeDecodeError) as exc:
        code = getattr(fn, "__code__", None)
        raise LangCompileError(f"cannot read the source of {name}: {exc}",
                               file=getattr(code, "co_filename", None),
                               line=getattr(code, "co_firstlineno", None),
                               hint="define lang functions in a UTF-8 file or pass the source "
                               "text") from None
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    first = lines[0] if lines else ""
    indent = len(first) - len(first.lstrip())
    try:
        tree = ast.parse(dedented)
    except SyntaxError as exc:
        raise LangCompileError(f"syntax error: {exc.msg}", file=file,
                               line=(exc.lineno or 1) + start - 1, col=exc.offset) from None
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.FunctionDef):
        raise LangCompileError(f"{name} is not a plain function", file=file, line=start,
                               hint="lang functions are module-level `def`s")
    loc = SourceLocator(file, start - 1, indent)
    return FunctionSource(name, node, dict(getattr(fn, "__globals__", {})), loc, fn)


def module_from_source(text: str, filename: str | None = None) -> types.ModuleType:
    """Execute source text as a fresh module whose functions ``inspect`` can read back."""
    filename = filename or f"<chamelio-source-{next(_counter)}>"
    lines = text.splitlines(keepends=True)
    linecache.cache[filename] = (len(text), None, lines, filename)
    try:
        code = compile(text, filename, "exec")
    except SyntaxError as exc:
        raise LangCompileError(f"syntax error: {exc.msg}", file=filename, line=exc.lineno,
                               col=exc.offset) from None
    module = types.ModuleType(filename.strip("<>").replace("-", "_"))
    module.__file__ = filename
    try:
        exec(code, module.__dict__)
    except Exception as exc:  # the user's module-level code failed
        raise LangCompileError(f"executing the module failed: {type(exc).__name__}: {exc}",
                               file=filename, hint="module-level code must run as plain Python"
                               ) from None
    return module
