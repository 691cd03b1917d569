"""emit_bpf_object / emit_bpf_asm / optimized_ir, and the worker that isolates LLVM."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from elftools.elf.constants import SH_FLAGS
from elftools.elf.sections import SymbolTableSection

from chamelio.errors import ChamelioError
from chamelio.lang.bpf import BpfBackendError, emit_bpf_asm, emit_bpf_object, optimized_ir
from chamelio.lang.bpf.emit import hint_for
from chamelio.lang.bpf.worker import WorkerClient, default_client

from .objfile import elf, section, section_names
from .programs import (
    BIG_STACK_IR,
    SDIV_IR,
    SIX_ARGS_IR,
    UDIV_IR,
    VARIABLE_MEMCPY_IR,
    xdp_counter_module,
)

EM_BPF = "EM_BPF"
COUNTER_IR = str(xdp_counter_module())


def test_object_is_a_little_endian_bpf_relocatable():
    f = elf(emit_bpf_object(COUNTER_IR))
    assert f["e_machine"] == EM_BPF
    assert f["e_type"] == "ET_REL"
    assert f.little_endian
    assert f.elfclass == 64


def test_object_has_btf_line_info_license_and_no_eh_frame():
    obj = emit_bpf_object(COUNTER_IR)
    names = section_names(obj)
    assert {"xdp", ".relxdp", ".maps", "license", ".BTF", ".BTF.ext"} <= names
    assert not any("eh_frame" in n for n in names)
    f = elf(obj)
    assert section(f, "license").data() == b"GPL\0"
    assert section(f, "xdp")["sh_flags"] & SH_FLAGS.SHF_EXECINSTR
    symtab = section(f, ".symtab")
    assert isinstance(symtab, SymbolTableSection)
    symbols = {s.name: s for s in symtab.iter_symbols()}
    assert symbols["count"]["st_info"]["type"] == "STT_FUNC"
    assert symbols["counts"]["st_size"] == 32  # four pointers: type, max_entries, key, value


def test_functions_without_nounwind_get_no_eh_frame():
    ir_text = COUNTER_IR.replace(" nounwind", "")
    assert "nounwind" not in ir_text
    names = section_names(emit_bpf_object(ir_text))
    assert "xdp" in names and not any("eh_frame" in n for n in names)


def test_map_references_are_relocated_lddw():
    asm = emit_bpf_asm(COUNTER_IR)
    assert "r1 = counts ll" in asm
    assert "call 1" in asm and "call 2" in asm


def test_datalayout_is_set_before_parsing():
    # With LLVM's default layout an unaligned i64 load is split into two 32-bit loads.
    asm = emit_bpf_asm(COUNTER_IR)
    assert "= *(u64 *)(r0 + 0)" in asm
    assert "= *(u32 *)(r0 + 4)" not in asm


@pytest.mark.parametrize("cpu", ["v1", "v2", "v3", "v4"])
def test_every_cpu_version_emits(cpu):
    obj = emit_bpf_object(COUNTER_IR, cpu=cpu)
    assert "xdp" in section_names(obj)
    asm = emit_bpf_asm(COUNTER_IR, cpu=cpu)
    uses_alu32 = re.search(r"\bw\d+ = ", asm) is not None  # 32-bit sub-registers: v3+
    assert uses_alu32 == (cpu in ("v3", "v4")), asm


def test_v4_emits_signed_division():
    assert "s/=" in emit_bpf_asm(SDIV_IR, cpu="v4")


@pytest.mark.parametrize(
    ("ir_text", "llvm_words", "hint_words"),
    [
        (SDIV_IR, "unsupported signed division", "cpu v4"),
        (BIG_STACK_IR, "stack limit is exceeded", "512 bytes"),
        (SIX_ARGS_IR, "", "at most 5 arguments"),
        (VARIABLE_MEMCPY_IR, "memcpy", "known at compile time"),
    ],
    ids=["sdiv-on-v3", "stack-over-512", "six-arguments", "variable-memcpy"],
)
def test_backend_aborts_become_errors_and_the_next_compile_works(ir_text, llvm_words, hint_words):
    client = default_client()
    emit_bpf_object(UDIV_IR)  # a warm worker
    before = client.pid
    with pytest.raises(BpfBackendError) as info:
        emit_bpf_object(ir_text)
    err = info.value
    assert isinstance(err, ChamelioError)
    assert err.kind == "codegen"
    assert llvm_words in err.llvm_message
    assert err.llvm_message.startswith("in function prog")  # LLVM's words, nothing else
    assert err.hint is not None and hint_words in err.hint
    assert "hint:" in str(err)
    # The worker died (LLVM called exit(1)), was reaped, and a new one takes over.
    assert client.pid is None
    assert before is not None and not _alive(before)
    assert "xdp" in section_names(emit_bpf_object(COUNTER_IR))
    assert client.pid not in (None, before)


def test_stack_size_option_applies_to_one_compile_only():
    assert "xdp" in section_names(emit_bpf_object(BIG_STACK_IR, stack_size=2048))
    with pytest.raises(BpfBackendError, match="stack limit"):
        emit_bpf_object(BIG_STACK_IR)


def test_invalid_ir_is_reported_without_killing_the_worker():
    emit_bpf_object(UDIV_IR)
    pid = default_client().pid
    with pytest.raises(BpfBackendError) as parse:
        emit_bpf_object("define i64 @f( {")
    assert parse.value.kind == "parse"
    assert "parsing error" in str(parse.value)
    bad = "define i64 @f(i64 %a) {\n  %b = add i64 %c, 1\n  %c = add i64 %a, 1\n  ret i64 %b\n}\n"
    with pytest.raises(BpfBackendError) as verify:
        emit_bpf_object(bad)
    assert verify.value.kind == "verify"
    assert "dominate" in str(verify.value)
    assert default_client().pid == pid


@pytest.mark.parametrize(
    "kwargs",
    [{"cpu": "v9"}, {"cpu": "generic"}, {"opt_level": 4}, {"stack_size": 0}, {"stack_size": -8}],
)
def test_bad_options_are_rejected_up_front(kwargs):
    with pytest.raises(BpfBackendError) as info:
        emit_bpf_object(UDIV_IR, **kwargs)
    assert info.value.kind == "option"


def test_optimized_ir_is_retargeted_and_optimised():
    text = optimized_ir(UDIV_IR)
    assert 'target triple = "bpfel"' in text
    assert 'target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"' in text
    assert "udiv i64" in text and "alloca" not in text
    unopt = optimized_ir(COUNTER_IR, opt_level=0)
    assert "alloca" in unopt


def test_every_opt_level_emits():
    for level in (0, 1, 2, 3):
        assert "xdp" in section_names(emit_bpf_object(COUNTER_IR, opt_level=level))


def test_hints_cover_known_backend_messages():
    assert "512" in hint_for("Looks like the BPF stack limit is exceeded.")
    assert "pointer" in hint_for("aggregate returns are not supported")
    assert "rewrite" in hint_for("something LLVM has never said")


# -- worker life cycle ------------------------------------------------------------------


def _alive(pid: int) -> bool:
    """True if *pid* exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _request(client: WorkerClient, ir_text: str, timeout: float | None = 60.0):
    return client.request(
        "object", ir_text, cpu="v3", opt_level=2, stack_size=None, timeout=timeout
    )


def test_own_client_restarts_after_crash_and_close():
    client = WorkerClient()
    try:
        assert _request(client, UDIV_IR).ok
        first = client.pid
        crashed = _request(client, SDIV_IR)
        assert not crashed.ok and crashed.kind == "crash" and crashed.returncode == 1
        assert "signed division" in crashed.diagnostics
        assert first is not None and not _alive(first)
        assert _request(client, UDIV_IR).ok
        assert client.starts == 2
        second = client.pid
        client.close()
        assert second is not None and not _alive(second) and client.pid is None
        assert _request(client, UDIV_IR).ok and client.starts == 3
    finally:
        client.close()


def test_a_compile_past_its_deadline_kills_the_worker():
    client = WorkerClient()
    try:
        assert _request(client, UDIV_IR).ok
        pid = client.pid
        late = _request(client, COUNTER_IR, timeout=1e-9)
        assert not late.ok and late.kind == "timeout"
        assert pid is not None and not _alive(pid)
        assert _request(client, COUNTER_IR).ok
    finally:
        client.close()


def test_worker_is_reaped_at_interpreter_exit(tmp_path):
    script = tmp_path / "once.py"
    script.write_text(
        textwrap.dedent(
            """
            import atexit
            from pathlib import Path

            from chamelio.lang.bpf import emit_bpf_object
            from chamelio.lang.bpf.worker import default_client

            pid = None

            def report():  # atexit runs handlers last-in first-out: this one after close()
                print("gone" if not Path(f"/proc/{pid}").exists() else "alive", flush=True)

            atexit.register(report)
            emit_bpf_object('define i64 @f(i64 %a) {\\n  ret i64 %a\\n}\\n')
            pid = default_client().pid
            print(pid, flush=True)
            """
        )
    )
    src = str(Path(__file__).resolve().parents[3] / "src")
    env = {**os.environ, "PYTHONPATH": src}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    pid_line, state = done.stdout.split()
    assert int(pid_line) > 0
    assert state == "gone"  # reaped by the exiting interpreter itself, not by init later
