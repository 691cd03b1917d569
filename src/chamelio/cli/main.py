"""Entry point of the ``chamelio`` command.

Each subcommand lives in its own module under ``chamelio.cli`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a callable
``(args) -> int`` returning the exit code (a command whose ``--json`` promises
``{"error": ...}`` on failure also sets ``json_errors=True``). Errors derived from
``ChamelioError``, argparse's included, are printed as one clear message; no user input ever
produces a traceback. Any other exception is a bug: it is reported in one line (exit 70),
its traceback only with CHAMELIO_TRACEBACK=1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from chamelio import __version__
from chamelio.errors import ChamelioError

# Subcommand modules, in the order --help lists them.
COMMANDS: tuple[str, ...] = (
    "compile",
    "asm",
    "disasm",
    "exec",
    "verify",
    "abi",
)
INTERNAL_ERROR = 70  # EX_SOFTWARE: an exception no input should cause


class UsageError(ChamelioError):
    """A command line argparse rejects; :func:`main` reports it (as JSON with ``--json``)."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser


class CommandParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are raised as :class:`UsageError`, not printed, so
    that ``main`` can honour ``--json`` for them too (its subparsers are of this class)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self, message)


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
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


def _wants_json(parser: argparse.ArgumentParser, argv: Sequence[str]) -> bool:
    """Whether ``argv`` asks ``parser`` for ``--json`` (argparse takes unique prefixes) and
    its command promises JSON errors (``set_defaults(json_errors=True)``)."""
    options = [o for o in parser._option_string_actions if o.startswith("--")]
    if parser.get_default("json_errors") is not True or "--json" not in options:
        return False
    for token in argv:
        if token == "--":
            break
        if token == "--json" or (len(token) > 2 and [o for o in options if o.startswith(token)]
                                 == ["--json"]):  # fmt: skip
            return True
    return False


def _command_parser(root: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.ArgumentParser:
    """The subcommand's parser named in ``argv``, else ``root``."""
    for action in root._actions:
        if isinstance(action, argparse._SubParsersAction):
            for token in argv:
                if token == "--" or not token.startswith("-"):
                    found = action.choices.get(token)
                    return found if isinstance(found, argparse.ArgumentParser) else root
    return root


def _report_usage(error: UsageError, root: argparse.ArgumentParser, argv: Sequence[str]) -> int:
    parser = error.parser
    if parser is root:  # "unrecognized arguments" is the root's error, about the subcommand's
        parser = _command_parser(root, argv)
    if _wants_json(parser, argv):
        print(json.dumps({"error": error.message}))
    else:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {error.message}", file=sys.stderr)
    return 2


def _silence_stdout() -> None:
    """After a broken pipe: send what is left to /dev/null so the exit flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (captured output)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except UsageError as exc:
        return _report_usage(exc, parser, args_list)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    json_mode = bool(getattr(args, "json", False) and getattr(args, "json_errors", False))
    try:
        code: int = args.func(args)
        sys.stdout.flush()
        return code
    except ChamelioError as exc:
        if json_mode:
            print(json.dumps({"error": str(exc)}))
        else:
            print(f"chamelio {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"chamelio {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except Exception as exc:  # the last resort: a bug, reported without a traceback
        if os.environ.get("CHAMELIO_TRACEBACK") == "1":
            raise
        message = f"internal error: {type(exc).__name__}: {exc} (this is a bug; please report it)"
        if json_mode:
            print(json.dumps({"error": message}))
        else:
            print(f"chamelio {args.command}: {message}", file=sys.stderr)
            print("  hint: set CHAMELIO_TRACEBACK=1 for the traceback", file=sys.stderr)
        return INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
