"""`chamelio compile`: compile a handler written in chamelio.lang.

``chamelio compile FILE.py [--entry NAME] [--hook HOOK] [-o OUT.o] [--emit obj|llvm|asm]
[--cpu v1..v4] [--target bpf|native] [--debug]``. The file is imported as a module; the entry
defaults to its only function whose first parameter is a context type.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

from chamelio.cli.files import refuse_input_as_output, write_output
from chamelio.errors import ChamelioError


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "compile", help="compile a chamelio.lang handler to an eBPF object (or LLVM IR, asm)",
        description="Compile a handler written in chamelio.lang. The file is imported as a "
        "module; the handler is its only function whose first parameter is a context type "
        "(XdpCtx, SkbCtx, RxCtx, TxCtx), or the one named with --entry.")
    p.add_argument("file", help="the Python file holding the handler")
    p.add_argument("--entry", help="the handler function's name")
    p.add_argument("--hook", help="the hook (xdp, socket, rx, tx); default: from the context type")
    p.add_argument("-o", "--output", help="output file (default: FILE.o for objects, stdout "
                   "for llvm/asm)")
    p.add_argument("--emit", choices=("obj", "llvm", "asm"), default="obj",
                   help="what to produce (default: obj)")
    p.add_argument("--cpu", choices=("v1", "v2", "v3", "v4"), default="v3",
                   help="BPF instruction set version (default: v3)")
    p.add_argument("--target", choices=("bpf", "native"), default="bpf",
                   help="code for the kernel's eBPF (default) or this host (llvm/asm only)")
    p.add_argument("--debug", action="store_true", help="dump every compiler pass to stderr")
    p.set_defaults(func=run)


def _is_file(file: Path) -> bool:
    try:
        return file.is_file()
    except OSError as exc:
        raise ChamelioError(f"{file}: {exc.strerror or exc}") from None


def import_file(path: str) -> types.ModuleType:
    """Import ``path`` as a fresh module (its directory is importable while it loads)."""
    file = Path(path)
    if not _is_file(file):
        what = "is not a regular file" if file.exists() else "no such file"
        raise ChamelioError(f"{path}: {what}")
    name = f"chamelio_user_{file.stem}_{abs(hash(str(file.resolve()))) % 10**8}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ChamelioError(f"{path}: cannot be imported as a Python module",
                            "handler files end in .py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    directory = str(file.resolve().parent)
    sys.path.insert(0, directory)
    try:
        spec.loader.exec_module(module)
    except ChamelioError:
        raise
    except SyntaxError as exc:
        raise ChamelioError(f"{path}:{exc.lineno}:{exc.offset}: syntax error: {exc.msg}") from None
    except SystemExit as exc:
        raise ChamelioError(f"{path}: importing it called sys.exit({exc.code!r})",
                            "the module-level code of a handler file must not exit") from None
    except MemoryError:
        raise ChamelioError(f"{path}: importing it ran out of memory",
                            "a module-level map or array may be far too large") from None
    except Exception as exc:
        raise ChamelioError(f"{path}: importing it failed: {type(exc).__name__}: {exc}",
                            "the module-level code of a handler file must run as plain Python"
                            ) from None
    finally:
        if sys.path and sys.path[0] == directory:
            sys.path.pop(0)
    return module


def run(args: argparse.Namespace) -> int:
    from chamelio.lang.compiler import compile_bpf, emit_asm, emit_llvm

    if args.target == "native" and args.emit == "obj":
        raise ChamelioError("--target native produces --emit llvm or asm only",
                            "native handlers are loaded in-process with compile_native()")
    source = Path(args.file)
    out = Path(args.output) if args.output else (
        Path(source.with_suffix(".o").name) if args.emit == "obj" else None)
    if out is not None:
        refuse_input_as_output(out, source)
    module = import_file(args.file)
    debug = True if args.debug else None
    if args.emit == "obj":
        assert out is not None
        data: bytes = compile_bpf(module, entry=args.entry, hook=args.hook, cpu=args.cpu,
                                  debug=debug)
        write_output(out, data)
        print(f"wrote {out} ({len(data)} bytes)", file=sys.stderr)
        return 0
    emit = emit_llvm if args.emit == "llvm" else emit_asm
    text: str = emit(module, target=args.target, entry=args.entry, hook=args.hook,
                     cpu=args.cpu, debug=debug)
    if out is not None:
        write_output(out, text.encode())
    else:
        sys.stdout.write(text)
    return 0
