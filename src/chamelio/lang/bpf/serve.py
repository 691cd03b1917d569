"""The worker process: ``python -m chamelio.lang.bpf.serve``.

Reads compile requests on stdin and writes replies on stdout, in the framing described in
:mod:`chamelio.lang.bpf.worker`, until stdin reaches EOF (the parent closed it or died).
LLVM's messages go to fd 2, which the parent reads back; an LLVM ``exit(1)`` ends this
process and nothing else.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from typing import IO, Any

from chamelio.lang.bpf.codegen import Compiler, IRError
from chamelio.lang.bpf.worker import FRAME


def serve(stdin: IO[bytes], out: IO[bytes]) -> None:
    """Answer requests until EOF on *stdin*."""
    compiler: Compiler | None = None
    while True:
        head = stdin.read(FRAME.size)
        if len(head) < FRAME.size:
            return
        (size,) = FRAME.unpack(head)
        request: dict[str, Any] = json.loads(stdin.read(size))
        payload = b""
        try:
            if compiler is None:
                compiler = Compiler()
            payload = compiler.compile(
                request["ir"],
                request["op"],
                cpu=request["cpu"],
                opt_level=request["opt"],
                stack_size=request["stack"],
            )
            header: dict[str, Any] = {"ok": True}
        except IRError as exc:
            header = {"ok": False, "kind": exc.kind, "message": exc.message}
        except Exception:
            header = {"ok": False, "kind": "internal", "message": traceback.format_exc()}
        reply = json.dumps(header).encode()
        out.write(FRAME.pack(len(reply)) + reply + FRAME.pack(len(payload)) + payload)
        out.flush()


def main() -> int:
    """Serve compile requests on stdin/stdout until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints land with the diagnostics, never in the protocol stream
    serve(sys.stdin.buffer, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
