"""`chamelio compile`."""

from __future__ import annotations

from pathlib import Path

from chamelio.cli.main import main
from chamelio.ebpf.elf import load_object

HANDLERS = Path(__file__).resolve().parents[1] / "lang" / "compiler" / "handlers.py"

PROG = """\
from chamelio.lang import u32, XdpCtx, XdpAction

def prog(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(14):
        return XdpAction.DROP
    return XdpAction.PASS
"""


def test_compile_to_object(tmp_path, capsys):
    src = tmp_path / "prog.py"
    src.write_text(PROG)
    out = tmp_path / "prog.o"
    assert main(["compile", str(src), "-o", str(out)]) == 0
    assert [p.section for p in load_object(out.read_bytes()).programs] == ["xdp"]
    assert "wrote" in capsys.readouterr().err


def test_emit_llvm_and_asm(tmp_path, capsys):
    src = tmp_path / "prog.py"
    src.write_text(PROG)
    assert main(["compile", str(src), "--emit", "llvm"]) == 0
    assert 'section "xdp"' in capsys.readouterr().out
    assert main(["compile", str(src), "--emit", "asm", "--cpu", "v4"]) == 0
    assert "exit" in capsys.readouterr().out
    assert main(["compile", str(src), "--emit", "asm", "--target", "native"]) == 0
    assert "ret" in capsys.readouterr().out


def test_entry_required_when_ambiguous(tmp_path, capsys):
    assert main(["compile", str(HANDLERS), "-o", str(tmp_path / "x.o")]) == 2
    err = capsys.readouterr().err
    assert "several handlers" in err and "l4_proto" in err and "--entry" in err
    assert main(["compile", str(HANDLERS), "--entry", "checksum", "-o",
                 str(tmp_path / "x.o")]) == 0


def test_compile_errors_are_one_clear_message(tmp_path, capsys):
    src = tmp_path / "bad.py"
    src.write_text(PROG.replace("    if not pkt.has(14):\n        return XdpAction.DROP\n",
                                "    x = pkt.u8(3)\n"))
    assert main(["compile", str(src)]) == 2
    err = capsys.readouterr().err
    assert f"{src}:5:9: packet read of bytes 3..3 is not covered" in err
    assert "hint:" in err and "Traceback" not in err


def test_missing_and_broken_files(tmp_path, capsys):
    assert main(["compile", str(tmp_path / "none.py")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "boom.py"
    bad.write_text("raise RuntimeError('boom')\n")
    assert main(["compile", str(bad)]) == 2
    assert "importing it failed: RuntimeError: boom" in capsys.readouterr().err
    syn = tmp_path / "syn.py"
    syn.write_text("def f(:\n")
    assert main(["compile", str(syn)]) == 2
    assert "syntax error" in capsys.readouterr().err
    assert main(["compile", str(HANDLERS), "--emit", "obj", "--target", "native"]) == 2
