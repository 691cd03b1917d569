"""`chamelio abi`: the handler ABI, as a summary or as a C header.

``chamelio abi`` prints the hooks (sections, context, return range, budget, helpers) and the
helpers (id, signature, cost). ``chamelio abi --c-header [-o FILE]`` writes ``chamelio.h``,
generated from ``chamelio.abi``, for handlers written in C::

    chamelio abi --c-header -o chamelio.h
    clang -target bpf -O2 -g -c handler.c -o handler.o
    chamelio verify handler.o
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chamelio.abi import HELPERS, HOOKS, Helper
from chamelio.abi.cheader import helper_params, helper_return_type, render
from chamelio.errors import ChamelioError


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "abi", help="show the handler ABI (hooks, helpers) or write it as a C header",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--c-header", action="store_true",
                   help="write the C header for handlers written in C (clang -target bpf)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="with --c-header: write to FILE instead of stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.c_header:
        if args.output is not None:
            raise ChamelioError("-o applies to --c-header only")
        sys.stdout.write(summary())
        return 0
    text = render()
    if args.output is None:
        sys.stdout.write(text)
        return 0
    from chamelio.cli.files import write_output

    write_output(args.output, text.encode())
    print(f"wrote {args.output} ({len(text.splitlines())} lines)", file=sys.stderr)
    return 0


def _signature(h: Helper) -> str:
    """``bpf_name(params) -> ret``: the C prototype of the header, in words."""
    return f"bpf_{h.name}({', '.join(helper_params(h)) or 'void'}) -> {helper_return_type(h)}"


def summary() -> str:
    out = ["hooks:"]
    rows: list[tuple[str, ...]] = [("hook", "sections", "context", "returns", "budget")]
    for hk in HOOKS.values():
        rows.append((hk.name, " ".join(hk.sections), hk.context.name,
                     f"{hk.ret_min}..{hk.ret_max}", str(hk.default_budget)))
    out += _table(rows)
    for hk in HOOKS.values():
        out.append(f"  {hk.name} helpers: {', '.join(h.name for h in hk.helpers)}")
    out += ["", "helpers:"]
    rows = [("id", "signature", "cost")]
    for h in HELPERS.values():
        cost = str(h.cost)
        if h.cost_per_byte:
            cost += f" + {h.cost_per_byte}/byte"
        rows.append((str(h.id), _signature(h), cost))
    out += _table(rows)
    out += ["", "C header: chamelio abi --c-header -o chamelio.h"]
    return "\n".join(out) + "\n"


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]
