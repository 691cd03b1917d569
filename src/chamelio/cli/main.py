"""Entry point of the ``chamelio`` command.

Each subcommand lives in its own module under ``chamelio.cli`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a callable
``(args) -> int`` returning the exit code. Errors derived from ``ChamelioError`` are
printed as one clear message; no user input ever produces a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from chamelio import __version__
from chamelio.errors import ChamelioError

# Subcommand modules, in the order --help lists them.
COMMANDS: tuple[str, ...] = (
    "compile",
    "asm",
    "disasm",
    "exec",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chamelio",
        description="Chamelio: a programmable shared network stack "
        "(tenant protocols as verified eBPF, compiled with the fast path through LLVM).",
    )
    parser.add_argument("--version", action="version", version=f"chamelio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"chamelio.cli.cmd_{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        code: int = args.func(args)
        return code
    except ChamelioError as exc:
        print(f"chamelio {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"chamelio {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
