"""Render the handler ABI as a C header, so tenants can write handlers in C.

``python -m chamelio.abi.cheader`` (or ``chamelio abi --c-header``) prints ``chamelio.h``:
fixed-width integer types, every context layout of :data:`~chamelio.abi.LAYOUTS` as a C struct
(with padding where no field is declared and a ``_Static_assert`` on its size), the verdict
enums of the hooks, one section macro per hook, every helper of :data:`~chamelio.abi.HELPERS`
as a libbpf-style function pointer (``static long (*bpf_NAME)(...) = (void *)ID;``) with C
types derived from its :class:`~chamelio.abi.ArgKind`/:class:`~chamelio.abi.RetKind`, the map
types and update flags, libbpf's map-definition macros (``__uint``/``__type``/``__array``) and
``SEC``/``LICENSE`` macros. Everything is generated from the tables; nothing is written twice.

The header is self-contained (no kernel or libc headers) and stands in for ``vmlinux.h`` plus
libbpf's ``bpf_helpers.h``: compile with ``clang -target bpf -O2 -g -c handler.c``.
"""

from __future__ import annotations

import enum
import re

from chamelio.abi.context import LAYOUTS, PROVIDER_FLOW, ContextField, ContextLayout
from chamelio.abi.helpers import HELPERS, Helper
from chamelio.abi.hooks import HOOKS, Verdict, XdpAction
from chamelio.abi.kinds import ArgKind, RetKind, ValueKind
from chamelio.abi.maptypes import BPF_ANY, BPF_EXIST, BPF_NOEXIST, MAP_TYPES

GUARD = "CHAMELIO_H"

_INT_TYPES = {"u8": "__u8", "u16": "__u16", "u32": "__u32", "u64": "__u64"}

# A context field that holds a real (8-byte) pointer is declared as a C pointer, so handlers
# write ``void *data = ctx->data``; 4-byte kernel fields (xdp_md) stay __u32, as in the uapi.
_POINTER_FIELD = {
    ValueKind.PTR_TO_CTX: "void *",
    ValueKind.PTR_TO_PACKET: "void *",
    ValueKind.PTR_TO_PACKET_META: "void *",
    ValueKind.PTR_TO_PACKET_END: "void *",
    ValueKind.PTR_TO_FLOW_OR_NULL: "void *",
    ValueKind.PTR_TO_PFLOW_OR_NULL: f"const struct {PROVIDER_FLOW.name} *",
    ValueKind.PTR_TO_MAP_VALUE_OR_NULL: "void *",
    ValueKind.CONST_MAP_PTR: "void *",
}

# (C type, parameter name) of each argument kind.
_ARG_TYPES = {
    ArgKind.ANYTHING: ("__u64", "arg"),
    ArgKind.CONST_MAP_PTR: ("void *", "map"),
    ArgKind.PTR_TO_MAP_KEY: ("const void *", "key"),
    ArgKind.PTR_TO_MAP_VALUE: ("const void *", "value"),
    ArgKind.PTR_TO_CTX: ("void *", "ctx"),
    ArgKind.PTR_TO_MEM: ("const void *", "ptr"),
    ArgKind.PTR_TO_UNINIT_MEM: ("void *", "dst"),
    ArgKind.CONST_SIZE: ("__u32", "size"),
    ArgKind.CONST_SIZE_OR_ZERO: ("__u32", "size"),
}

_RET_TYPES = {
    RetKind.INTEGER: "long",
    RetKind.PTR_TO_MAP_VALUE_OR_NULL: "void *",
    RetKind.VOID: "void",
}

# C names of the verdict enums: (enum tag, constant prefix).
_ENUM_NAMES: dict[type[enum.IntEnum], tuple[str, str]] = {
    Verdict: ("chamelio_verdict", "CHAMELIO_"),
    XdpAction: ("xdp_action", "XDP_"),
}


def c_identifier(name: str) -> str:
    """``chamelio/rx`` -> ``CHAMELIO_RX``: a hook name as part of a macro name."""
    return re.sub(r"\W", "_", name).upper()


def section_macro(hook_name: str) -> str:
    return f"SEC_{c_identifier(hook_name)}"


def field_ctype(f: ContextField) -> str:
    """The C type declaring ``f``: a pointer for 8-byte pointer fields, else its integer."""
    if f.size == 8 and f.kind in _POINTER_FIELD:
        return _POINTER_FIELD[f.kind]
    return _INT_TYPES[f.ctype]


def _declare(ctype: str, name: str) -> str:
    return f"{ctype}{name}" if ctype.endswith("*") else f"{ctype} {name}"


def render_struct(layout: ContextLayout) -> list[str]:
    """``struct NAME { ... };`` with explicit padding; fields must be naturally aligned."""
    out = [f"/* {layout.doc} ({layout.size} bytes) */", f"struct {layout.name} {{"]
    at = 0
    for f in sorted(layout.fields, key=lambda x: x.offset):
        if f.offset < at:
            raise ValueError(f"{layout.name}.{f.name} overlaps the field before it")
        if f.offset % f.size:
            raise ValueError(f"{layout.name}.{f.name} at {f.offset} is not aligned to {f.size}")
        if f.offset > at:
            out.append(f"\t__u8 __pad{at}[{f.offset - at}];")
        comment = f"\t/* {f.offset}: {f.doc} */" if f.doc else f"\t/* {f.offset} */"
        out.append(f"\t{_declare(field_ctype(f), f.name)};{comment}")
        at = f.end
    if layout.size > at:
        out.append(f"\t__u8 __pad{at}[{layout.size - at}];")
    out.append("};")
    out.append(f"_Static_assert(sizeof(struct {layout.name}) == {layout.size}, "
               f"\"struct {layout.name} must be {layout.size} bytes\");")
    return out


def _ctx_type(h: Helper) -> str:
    """The context pointer type of ``h``: the hooks' struct when every hook allowing ``h``
    shares one context layout, else ``void *``."""
    layouts = {hk.context.name for hk in HOOKS.values() if hk.allows(h.id)}
    return f"struct {layouts.pop()} *" if len(layouts) == 1 else "void *"


def helper_params(h: Helper) -> list[str]:
    """The C parameter declarations of ``h`` (repeated names numbered: ptr1, size1, ptr2 ...)."""
    types = [_ctx_type(h) if k is ArgKind.PTR_TO_CTX else _ARG_TYPES[k][0] for k in h.args]
    names = [_ARG_TYPES[k][1] for k in h.args]
    counts = {n: names.count(n) for n in names}
    seen: dict[str, int] = {}
    decls: list[str] = []
    for ctype, name in zip(types, names, strict=True):
        seen[name] = seen.get(name, 0) + 1
        decls.append(_declare(ctype, f"{name}{seen[name]}" if counts[name] > 1 else name))
    return decls


def helper_return_type(h: Helper) -> str:
    return _RET_TYPES[h.ret]


def helper_prototype(h: Helper) -> str:
    """``static long (*bpf_NAME)(params) = (void *)ID;``"""
    decl = f"(*bpf_{h.name})({', '.join(helper_params(h)) or 'void'})"
    return f"static {_declare(helper_return_type(h), decl)} = (void *){h.id};"


def _helper_comment(h: Helper) -> str:
    hooks = ", ".join(hk.name for hk in HOOKS.values() if hk.allows(h.id)) or "none"
    cost = f"cost {h.cost}"
    if h.cost_per_byte and h.size_arg is not None:
        cost += f" + {h.cost_per_byte}/byte of arg {h.size_arg + 1}"
        if h.max_size:
            cost += f" (at most {h.max_size})"
    return f"/* {h.id}: {h.doc}; {cost}; hooks: {hooks} */"


def _verdict_enums() -> list[str]:
    out: list[str] = []
    done: set[type[enum.IntEnum]] = set()
    for hk in HOOKS.values():
        cls = hk.verdicts
        if cls is None or cls in done:
            continue
        done.add(cls)
        tag, prefix = _ENUM_NAMES.get(cls, (re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower(),
                                            f"{c_identifier(cls.__name__)}_"))
        users = ", ".join(x.name for x in HOOKS.values() if x.verdicts is cls)
        out += [f"/* returned by {users} handlers */", f"enum {tag} {{"]
        out += [f"\t{prefix}{member.name} = {int(member)}," for member in cls]
        out += ["};", ""]
    return out


def _hook_lines() -> list[str]:
    out: list[str] = []
    for hk in HOOKS.values():
        out.append(f"/* {hk.name}: {hk.doc}; ctx: struct {hk.context.name}; "
                   f"returns {hk.ret_min}..{hk.ret_max}; default budget {hk.default_budget} */")
        out.append(f"#define {section_macro(hk.name)} \"{hk.section}\"")
    return out


_PREAMBLE = """\
typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;

#define SEC(name) __attribute__((section(name), used))
#define LICENSE(s) char _license[] SEC("license") = s

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* map definitions in .maps, as libbpf reads them (BTF: compile with -g) */
#define __uint(name, val) int (*name)[val]
#define __type(name, val) __typeof__(val) *name
#define __array(name, val) __typeof__(val) *name[]

/* byte order: the packet is big-endian, the bpf target little-endian */
#define bpf_htons(x) ((__u16)__builtin_bswap16(x))
#define bpf_ntohs(x) ((__u16)__builtin_bswap16(x))
#define bpf_htonl(x) ((__u32)__builtin_bswap32(x))
#define bpf_ntohl(x) ((__u32)__builtin_bswap32(x))"""


def render() -> str:
    """The whole header, generated from the ABI tables."""
    out = [
        "/* chamelio.h: the Chamelio handler ABI for C handlers (clang -target bpf).",
        " * Generated by `chamelio abi --c-header` from chamelio.abi; do not edit by hand. */",
        f"#ifndef {GUARD}",
        f"#define {GUARD}",
        "",
        _PREAMBLE,
        "",
        "/* ---- hooks: put a handler in its hook's section, e.g. SEC(SEC_XDP) */",
        *_hook_lines(),
        "",
        "/* ---- contexts (r1 at entry; read-only unless the ABI says otherwise) */",
    ]
    # The provider flow first: chamelio_ctx points to it.
    for layout in sorted(LAYOUTS.values(), key=lambda x: x is not PROVIDER_FLOW):
        out += [*render_struct(layout), ""]
    out += ["/* ---- verdicts */", *_verdict_enums()]
    out += ["/* ---- map types and update flags */", "enum {"]
    out += [f"\tBPF_MAP_TYPE_{info.name.upper()} = {int(info.type)}," for info in MAP_TYPES.values()]
    out += ["};", "enum {", f"\tBPF_ANY = {BPF_ANY},", f"\tBPF_NOEXIST = {BPF_NOEXIST},",
            f"\tBPF_EXIST = {BPF_EXIST},", "};", ""]
    out.append("/* ---- helpers (call by id; the verifier checks the arguments and the hook) */")
    for h in HELPERS.values():
        out += [_helper_comment(h), helper_prototype(h)]
    out += ["", f"#endif /* {GUARD} */", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
