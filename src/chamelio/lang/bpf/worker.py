"""Process isolation for LLVM's BPF backend.

Some BPF backend errors end the process (LLVM prints ``error: ...`` on fd 2 and calls
``exit(1)``). Code generation therefore runs in a warm worker process, started with
``python -m chamelio.lang.bpf.serve`` and reused across compiles. Parent and worker speak
a tiny protocol over the worker's stdin/stdout, each message a sequence of frames
(a little-endian ``u32`` length, then that many bytes):

* request: one frame, JSON ``{"op", "ir", "cpu", "opt", "stack"}``;
* reply: two frames, JSON ``{"ok", "kind", "message"}`` and the payload bytes.

The worker's fd 2 is a temporary file owned by the parent, so whatever LLVM prints
(warnings, or the message before an ``exit(1)``) is read back after each request. A worker
that dies is reaped at once and a new one starts on the next request; the default worker
is shut down at interpreter exit.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

FRAME = struct.Struct("<I")
_READ_CHUNK = 1 << 20
_REAP_TIMEOUT = 5.0


@dataclass(frozen=True)
class Reply:
    """One request's outcome, as seen by the parent.

    ``kind`` is ``""`` on success; otherwise ``parse``/``verify``/``option`` (bad input,
    reported by the worker), ``internal`` (an unexpected Python error in the worker),
    ``crash`` (the worker died, usually LLVM's ``exit(1)``) or ``timeout``.
    """

    ok: bool
    payload: bytes = b""
    kind: str = ""
    message: str = ""
    diagnostics: str = ""  # what the worker printed on fd 2 while serving this request
    returncode: int | None = None  # set when the worker died


class _Timeout(Exception):
    pass


def _src_root() -> str:
    # .../src/chamelio/lang/bpf/worker.py -> .../src
    return str(Path(__file__).resolve().parents[3])


def _describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "the BPF code generator worker stopped answering"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"the BPF code generator crashed ({name})"
    return f"the BPF code generator exited with status {returncode}"


class WorkerClient:
    """The parent's handle on one worker process; thread-safe, restarts after a crash."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._errfile: IO[bytes] | None = None
        self._owner = os.getpid()
        self.starts = 0  # worker processes started so far (a crash adds one on restart)

    @property
    def pid(self) -> int | None:
        """The running worker's process id, or ``None`` if none is running."""
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        """Start the worker if it is not running (it warms up while the caller works)."""
        with self._lock:
            self._ensure_started()

    def request(
        self,
        op: str,
        llvm_ir: str,
        *,
        cpu: str,
        opt_level: int,
        stack_size: int | None,
        timeout: float | None,
    ) -> Reply:
        """Send one compile request and wait for its reply (or the worker's death)."""
        body = json.dumps(
            {"op": op, "ir": llvm_ir, "cpu": cpu, "opt": opt_level, "stack": stack_size}
        ).encode()
        with self._lock:
            proc = self._ensure_started()
            assert proc.stdin is not None and proc.stdout is not None
            deadline = None if timeout is None else time.monotonic() + timeout
            try:
                _write_all(proc.stdin.fileno(), FRAME.pack(len(body)) + body)
                header = self._read_frame(proc.stdout.fileno(), deadline)
                payload = self._read_frame(proc.stdout.fileno(), deadline)
            except _Timeout:
                proc.kill()
                return self._dead_reply(kind="timeout", message=f"no reply within {timeout} s")
            except OSError:  # BrokenPipeError and friends: the worker is gone
                header = payload = None
            except BaseException:  # e.g. KeyboardInterrupt: the protocol is out of step
                proc.kill()
                self._dead_reply(kind="crash", message="interrupted")
                raise
            if header is None or payload is None:
                return self._dead_reply(kind="crash", message="")
            info = json.loads(header)
            return Reply(
                ok=bool(info["ok"]),
                payload=payload,
                kind=str(info.get("kind", "")),
                message=str(info.get("message", "")),
                diagnostics=self._take_diagnostics(),
            )

    def close(self) -> None:
        """Stop the worker (EOF on its stdin, then kill if needed) and reap it."""
        with self._lock:
            if os.getpid() != self._owner:
                self._forget()
                return
            proc, self._proc = self._proc, None
            if proc is not None:
                _stop(proc)
            if self._errfile is not None:
                self._errfile.close()
                self._errfile = None

    # -- internals (called with the lock held) ---------------------------------------

    def _ensure_started(self) -> subprocess.Popen[bytes]:
        if os.getpid() != self._owner:  # we are a forked child: the worker is not ours
            self._forget()
            self._owner = os.getpid()
        if self._proc is not None:
            return self._proc
        if self._errfile is None:
            # Lives as long as this client (closed in close()), so no context manager.
            self._errfile = tempfile.TemporaryFile(prefix="chamelio-bpf-worker-")  # noqa: SIM115
        self._errfile.truncate(0)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_src_root(), env.get("PYTHONPATH", "")) if p
        )
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "chamelio.lang.bpf.serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errfile,
            env=env,
            bufsize=0,
            close_fds=True,
        )
        self.starts += 1
        return self._proc

    def _read_frame(self, fd: int, deadline: float | None) -> bytes | None:
        head = _read_exact(fd, FRAME.size, deadline)
        if head is None:
            return None
        (size,) = FRAME.unpack(head)
        return _read_exact(fd, size, deadline)

    def _take_diagnostics(self) -> str:
        if self._errfile is None:
            return ""
        self._errfile.seek(0)
        text = self._errfile.read().decode(errors="replace")
        self._errfile.seek(0)
        self._errfile.truncate(0)
        return text

    def _dead_reply(self, kind: str, message: str) -> Reply:
        proc, self._proc = self._proc, None
        returncode = _stop(proc) if proc is not None else None
        return Reply(
            ok=False,
            kind=kind,
            message=message or _describe_exit(returncode),
            diagnostics=self._take_diagnostics(),
            returncode=returncode,
        )

    def _forget(self) -> None:
        # After fork(): drop our copies of the parent's pipes without touching its worker.
        proc, self._proc = self._proc, None
        if proc is not None:
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()
            proc.returncode = 0  # never wait() for a process that is not our child
        if self._errfile is not None:
            self._errfile.close()
            self._errfile = None


def _stop(proc: subprocess.Popen[bytes]) -> int | None:
    """Close the worker's pipes, let it exit (or kill it), and reap it; return its status."""
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        return proc.wait(timeout=_REAP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes | None:
    """Read exactly *size* bytes; ``None`` on EOF; raise :class:`_Timeout` past *deadline*."""
    buf = bytearray()
    while len(buf) < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise _Timeout
        chunk = os.read(fd, min(size - len(buf), _READ_CHUNK))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


_default: WorkerClient | None = None
_default_lock = threading.Lock()


def default_client() -> WorkerClient:
    """The process-wide worker, created on first use and closed at interpreter exit."""
    global _default
    with _default_lock:
        if _default is None:
            _default = WorkerClient()
            atexit.register(_default.close)
        return _default
