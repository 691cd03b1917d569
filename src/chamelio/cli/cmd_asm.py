"""`chamelio asm`: placeholder until its issue lands (prints a clear error)."""

from __future__ import annotations

import argparse
from typing import Any

from chamelio.errors import ChamelioError


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("asm", help="(not yet implemented)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise ChamelioError("'chamelio asm' is not implemented yet")
