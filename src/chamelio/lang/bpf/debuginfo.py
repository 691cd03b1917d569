"""A small DWARF builder for llvmlite modules, shaped for what LLVM turns into BTF.

LLVM's BPF backend derives ``.BTF`` (types, function info, the ``.maps`` datasec libbpf
reads map definitions from) and ``.BTF.ext`` (function and line info) from the module's
DWARF metadata. This module builds that metadata with ``ir.Module.add_debug_info``:

* :meth:`DebugInfo.add_map` describes a map the way libbpf's ``__uint``/``__type`` macros
  do: ``__uint(name, val)`` is a member ``int (*name)[val]`` and ``__type(name, T)`` is a
  member ``T *name``, in an anonymous struct of pointers placed in section ``.maps``;
* :meth:`DebugInfo.add_function` gives a function a ``DISubprogram`` whose parameters have
  names (the kernel rejects BTF function prototypes with unnamed parameters);
* :meth:`DebugInfo.location` makes the ``!dbg`` location for one instruction; with
  *source* given, ``.BTF.ext`` line info carries the source line text, which the kernel
  verifier prints in its log.

The compile unit's ``globals`` list and each subprogram's ``retainedNodes`` list are filled
in as maps and functions are added. That makes the metadata graph cyclic (a subprogram's
parameters name the subprogram as their scope), which llvmlite's structural hashing of
metadata nodes cannot handle, so distinct nodes and the fillable lists made here hash by
identity (as distinct nodes are, in LLVM).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from llvmlite import ir

POINTER_BITS = 64
_I32 = ir.IntType(32)


@dataclass(frozen=True)
class DIType:
    """A debug type: its metadata node (``None`` for ``void``) and size in bits."""

    node: ir.DIValue | None
    size_bits: int
    name: str = ""


VOID = DIType(None, 0, "void")


def _token(text: str) -> ir.DIToken:
    return ir.DIToken(text)


class _DistinctNode(ir.DIValue):
    """A ``distinct`` debug node: equal only to itself, never de-duplicated."""

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other


class _FillableTuple(ir.MDValue):
    """A metadata tuple whose elements are set after nodes that refer to it exist."""

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other


class DebugInfo:
    """Debug metadata for one module and one source file."""

    def __init__(
        self,
        module: ir.Module,
        filename: str,
        directory: str,
        *,
        source: str | None = None,
        producer: str = "chamelio",
        dwarf_version: int = 4,
    ) -> None:
        self.module = module
        file_ops: dict[str, object] = {"filename": filename, "directory": directory}
        if source is not None:
            file_ops["source"] = source
        self.file = module.add_debug_info("DIFile", file_ops)
        self._globals = self._open_list()
        self._global_exprs: list[ir.DIValue] = []
        self.compile_unit = self._distinct(
            "DICompileUnit",
            {
                "language": _token("DW_LANG_C99"),
                "file": self.file,
                "producer": producer,
                "isOptimized": True,
                "runtimeVersion": 0,
                "emissionKind": _token("FullDebug"),
                "globals": self._globals,
                "nameTableKind": _token("None"),
            },
        )
        module.add_named_metadata("llvm.dbg.cu", self.compile_unit)
        self._add_module_flag(7, "Dwarf Version", dwarf_version)
        self._add_module_flag(2, "Debug Info Version", 3)
        self._int_cache: dict[tuple[int, bool, str], DIType] = {}

    # -- types -----------------------------------------------------------------------------

    def int_type(self, bits: int, signed: bool, name: str | None = None) -> DIType:
        """An integer type; named ``u32``/``i64``/... unless *name* is given."""
        if bits not in (8, 16, 32, 64, 128):
            raise ValueError(f"integer width must be 8, 16, 32, 64 or 128 bits, not {bits}")
        label = name or f"{'i' if signed else 'u'}{bits}"
        key = (bits, signed, label)
        if key not in self._int_cache:
            node = self.module.add_debug_info(
                "DIBasicType",
                {
                    "name": label,
                    "size": bits,
                    "encoding": _token("DW_ATE_signed" if signed else "DW_ATE_unsigned"),
                },
            )
            self._int_cache[key] = DIType(node, bits, label)
        return self._int_cache[key]

    def bool_type(self) -> DIType:
        """A one-byte boolean."""
        node = self.module.add_debug_info(
            "DIBasicType", {"name": "bool", "size": 8, "encoding": _token("DW_ATE_boolean")}
        )
        return DIType(node, 8, "bool")

    def pointer(self, target: DIType | None) -> DIType:
        """A pointer to *target* (``None`` or :data:`VOID` for ``void *``)."""
        base = None if target is None else target.node
        node = self.module.add_debug_info(
            "DIDerivedType",
            {"tag": _token("DW_TAG_pointer_type"), "baseType": base, "size": POINTER_BITS},
        )
        return DIType(node, POINTER_BITS, f"{target.name if target else 'void'} *")

    def array_type(self, elem: DIType, count: int) -> DIType:
        """``elem[count]``."""
        if count < 0:
            raise ValueError(f"array length must not be negative, got {count}")
        subrange = self.module.add_debug_info("DISubrange", {"count": count})
        node = self.module.add_debug_info(
            "DICompositeType",
            {
                "tag": _token("DW_TAG_array_type"),
                "baseType": elem.node,
                "size": elem.size_bits * count,
                "elements": [subrange],
            },
        )
        return DIType(node, elem.size_bits * count, f"{elem.name}[{count}]")

    def struct_type(
        self,
        name: str,
        fields: Sequence[tuple[str, DIType, int, int]],
        size_bits: int,
        line: int = 0,
    ) -> DIType:
        """A struct; *fields* are ``(name, type, offset_bits, size_bits)``; ``""`` = anonymous."""
        members = [
            self.module.add_debug_info(
                "DIDerivedType",
                {
                    "tag": _token("DW_TAG_member"),
                    "name": field,
                    "file": self.file,
                    "line": line,
                    "baseType": ftype.node,
                    "size": fsize,
                    "offset": offset,
                },
            )
            for field, ftype, offset, fsize in fields
        ]
        ops: dict[str, object] = {
            "tag": _token("DW_TAG_structure_type"),
            "file": self.file,
            "line": line,
            "size": size_bits,
            "elements": members,
        }
        if name:
            ops["name"] = name
        node = self.module.add_debug_info("DICompositeType", ops)
        return DIType(node, size_bits, name)

    # -- maps and globals -------------------------------------------------------------------

    def add_map(
        self,
        global_var: ir.GlobalVariable,
        name: str,
        map_type: int,
        max_entries: int,
        key: DIType | None,
        value: DIType | None,
        flags: int = 0,
        line: int = 0,
    ) -> ir.DIValue:
        """Describe *global_var* as a BTF-defined map and place it in section ``.maps``.

        The global's type must be a struct of one pointer per member: ``type``,
        ``max_entries``, ``key`` and ``value`` when given, ``map_flags`` when non-zero
        (:func:`map_struct_type` builds it). It gets a zero initializer if it has none.
        """
        int_t = self.int_type(32, True, "int")
        members: list[tuple[str, DIType]] = [
            ("type", self.pointer(self.array_type(int_t, map_type))),
            ("max_entries", self.pointer(self.array_type(int_t, max_entries))),
        ]
        if key is not None:
            members.append(("key", self.pointer(key)))
        if value is not None:
            members.append(("value", self.pointer(value)))
        if flags:
            members.append(("map_flags", self.pointer(self.array_type(int_t, flags))))
        expected = map_struct_type(len(members))
        if global_var.value_type != expected:
            raise ValueError(
                f"map global {global_var.name!r} has type {global_var.value_type}, "
                f"expected {expected} ({len(members)} members)"
            )
        if global_var.initializer is None:
            global_var.initializer = ir.Constant(expected, None)
        global_var.section = ".maps"
        global_var.align = 8
        struct = self.struct_type(
            "",
            [(m, t, i * POINTER_BITS, POINTER_BITS) for i, (m, t) in enumerate(members)],
            POINTER_BITS * len(members),
            line,
        )
        return self.add_global(global_var, name, struct, line)

    def define_map(
        self,
        name: str,
        map_type: int,
        max_entries: int,
        key: DIType | None,
        value: DIType | None,
        flags: int = 0,
        line: int = 0,
    ) -> ir.GlobalVariable:
        """Create the map's global (named *name*) and describe it (see :meth:`add_map`)."""
        count = 2 + (key is not None) + (value is not None) + (flags != 0)
        global_var = ir.GlobalVariable(self.module, map_struct_type(count), name)
        self.add_map(global_var, name, map_type, max_entries, key, value, flags, line)
        return global_var

    def add_global(
        self, global_var: ir.GlobalVariable, name: str, ditype: DIType, line: int = 0
    ) -> ir.DIValue:
        """Attach a ``DIGlobalVariableExpression`` (BTF ``VAR`` in its section's datasec)."""
        var = self._distinct(
            "DIGlobalVariable",
            {
                "name": name,
                "scope": self.compile_unit,
                "file": self.file,
                "line": line,
                "type": ditype.node,
                "isLocal": global_var.linkage in ("internal", "private"),
                "isDefinition": True,
            },
        )
        expr = self.module.add_debug_info(
            "DIGlobalVariableExpression",
            {"var": var, "expr": self.module.add_debug_info("DIExpression", {})},
        )
        global_var.set_metadata("dbg", expr)
        self._global_exprs.append(expr)
        self._globals.operands = tuple(self._global_exprs)
        return expr

    # -- functions and locations -------------------------------------------------------------

    def add_function(
        self,
        function: ir.Function,
        name: str,
        line: int,
        params: Sequence[DIType],
        ret: DIType | None,
        param_names: Sequence[str] | None = None,
    ) -> ir.DIValue:
        """Attach a ``DISubprogram`` to *function* and return it (the scope for locations).

        Parameter names come from *param_names*, else the IR argument names, else
        ``arg0``, ``arg1``...; ``ret`` ``None`` means ``void``. A function with internal
        or private linkage becomes a static BTF function.
        """
        if len(params) != len(function.args):
            raise ValueError(
                f"{name}: {len(params)} parameter types for {len(function.args)} arguments"
            )
        if param_names is None:
            param_names = [a.name or f"arg{i}" for i, a in enumerate(function.args)]
        subroutine = self.module.add_debug_info(
            "DISubroutineType",
            {"types": [None if ret is None else ret.node, *(p.node for p in params)]},
        )
        local = function.linkage in ("internal", "private")
        retained = self._open_list()
        sp_flags = "DISPFlagDefinition | DISPFlagOptimized"
        if local:
            sp_flags = "DISPFlagLocalToUnit | " + sp_flags
        subprogram = self._distinct(
            "DISubprogram",
            {
                "name": name,
                "scope": self.file,
                "file": self.file,
                "line": line,
                "type": subroutine,
                "scopeLine": line,
                "flags": _token("DIFlagPrototyped"),
                "spFlags": _token(sp_flags),
                "unit": self.compile_unit,
                "retainedNodes": retained,
            },
        )
        retained.operands = tuple(
            self.module.add_debug_info(
                "DILocalVariable",
                {
                    "name": pname,
                    "arg": i + 1,
                    "scope": subprogram,
                    "file": self.file,
                    "line": line,
                    "type": ptype.node,
                },
            )
            for i, (pname, ptype) in enumerate(zip(param_names, params, strict=True))
        )
        function.set_metadata("dbg", subprogram)
        return subprogram

    def location(self, line: int, col: int, scope: ir.DIValue) -> ir.DIValue:
        """A ``DILocation`` for ``instr.set_metadata("dbg", ...)`` or
        ``builder.debug_metadata``."""
        return self.module.add_debug_info(
            "DILocation", {"line": line, "column": col, "scope": scope}
        )

    # -- internals ---------------------------------------------------------------------------

    def _open_list(self) -> ir.MDValue:
        # Made directly, not via add_metadata(), so the module's de-duplication cache
        # never hands it out for another empty tuple.
        return _FillableTuple(self.module, [], name=str(len(self.module.metadata)))

    def _distinct(self, kind: str, operands: dict[str, object]) -> ir.DIValue:
        # What add_debug_info(kind, operands, is_distinct=True) builds, minus the
        # structural de-duplication that recurses forever on cyclic metadata.
        fixed = sorted(self.module._fix_di_operands(operands.items()))
        return _DistinctNode(self.module, True, kind, fixed, name=str(len(self.module.metadata)))

    def _add_module_flag(self, behaviour: int, key: str, value: int) -> None:
        flags = self.module.add_named_metadata("llvm.module.flags")
        for node in flags.operands:
            ops: Sequence[object] = getattr(node, "operands", ())
            if len(ops) == 3 and getattr(ops[1], "string", None) == key:
                return
        self.module.add_named_metadata(
            "llvm.module.flags", [ir.Constant(_I32, behaviour), key, ir.Constant(_I32, value)]
        )


def map_struct_type(members: int) -> ir.LiteralStructType:
    """The IR type of a BTF-defined map global: one opaque pointer per member."""
    return ir.LiteralStructType([ir.PointerType()] * members)
