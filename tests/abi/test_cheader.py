"""`chamelio.abi.cheader`: the C header is generated from the ABI tables, compiles with
`clang -target bpf`, and clang lays its structs out exactly at the ABI's offsets."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest

from chamelio import abi
from chamelio.abi import cheader
from chamelio.abi.context import ContextField, ContextLayout
from chamelio.cli.main import main


def clang() -> str:
    path = shutil.which("clang")
    if path is None:
        pytest.skip("clang is not installed (.ci/run installs Debian's clang)")
    return path


def compile_c(tmp_path: Path, source: str, header: str | None = None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "chamelio.h").write_text(header if header is not None else cheader.render())
    (tmp_path / "t.c").write_text(source)
    return subprocess.run(
        [clang(), "-target", "bpf", "-O2", "-Wall", "-Wextra", "-Werror", "-I", str(tmp_path),
         "-c", str(tmp_path / "t.c"), "-o", str(tmp_path / "t.o")],
        capture_output=True, text=True, timeout=120, check=False)


def layout_asserts() -> list[str]:
    """Offsets and sizes of every field, straight from the tables (not from the header)."""
    out = []
    for layout in abi.LAYOUTS.values():
        s = f"struct {layout.name}"
        out.append(f"_Static_assert(sizeof({s}) == {layout.size}, \"{layout.name}\");")
        for f in layout.fields:
            out.append(f"_Static_assert(__builtin_offsetof({s}, {f.name}) == {f.offset}, "
                       f"\"{layout.name}.{f.name} offset\");")
            out.append(f"_Static_assert(sizeof((({s} *)0)->{f.name}) == {f.size}, "
                       f"\"{layout.name}.{f.name} size\");")
    return out


def abi_asserts() -> list[str]:
    out = []
    for hk in abi.HOOKS.values():
        macro = cheader.section_macro(hk.name)
        out.append(f"_Static_assert(sizeof({macro}) == {len(hk.section) + 1}, \"{macro}\");")
        if hk.verdicts is abi.Verdict:
            out += [f"_Static_assert(CHAMELIO_{v.name} == {int(v)}, \"{v.name}\");" for v in abi.Verdict]
        if hk.verdicts is abi.XdpAction:
            out += [f"_Static_assert(XDP_{v.name} == {int(v)}, \"{v.name}\");" for v in abi.XdpAction]
    out += [f"_Static_assert(BPF_MAP_TYPE_{info.name.upper()} == {int(info.type)}, \"map\");"
            for info in abi.MAP_TYPES.values()]
    out += [f"_Static_assert(BPF_ANY == {abi.BPF_ANY} && BPF_NOEXIST == {abi.BPF_NOEXIST} && "
            f"BPF_EXIST == {abi.BPF_EXIST}, \"flags\");"]
    return out


def helper_uses() -> str:
    """A function taking the address of every helper: each must be declared as its id."""
    lines = ["unsigned long helper_ids(int i) {", "\tswitch (i) {"]
    for n, h in enumerate(abi.HELPERS.values()):
        lines.append(f"\tcase {n}: return (unsigned long)bpf_{h.name};")
    lines += ["\t}", "\treturn 0;", "}"]
    return "\n".join(lines)


def test_header_compiles_and_clang_agrees_with_every_offset(tmp_path: Path) -> None:
    source = "\n".join(['#include "chamelio.h"', *layout_asserts(), *abi_asserts(),
                        helper_uses(), ""])
    result = compile_c(tmp_path, source)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "t.o").read_bytes()[:4] == b"\x7fELF"


def test_a_wrong_offset_fails_to_compile(tmp_path: Path) -> None:
    """The layout check can fail: one offset off by one is a compile error."""
    f = abi.CHAMELIO_CTX.field("l4_off")
    wrong = f"_Static_assert(__builtin_offsetof(struct chamelio_ctx, l4_off) == {f.offset + 1}, \"l4_off moved\");"
    result = compile_c(tmp_path, f'#include "chamelio.h"\n{wrong}\n')
    assert result.returncode != 0 and "l4_off moved" in result.stderr


def test_a_layout_c_would_pad_differently_is_caught_by_the_size_assert(tmp_path: Path) -> None:
    """A layout whose declared size disagrees with C's (here: a u64 makes C pad 12 bytes to
    16) does not compile: the header asserts every struct's size."""
    odd = ContextLayout("odd", 12, (ContextField("a", 0, 8, "u64"), ContextField("b", 8, 4, "u32")))
    text = "\n".join(["typedef unsigned int __u32;", "typedef unsigned long long __u64;",
                      *cheader.render_struct(odd), ""])
    result = compile_c(tmp_path, '#include "chamelio.h"\n', header=text)
    assert result.returncode != 0 and "struct odd must be 12 bytes" in result.stderr


def test_helper_prototypes_follow_the_arg_and_ret_kinds() -> None:
    lookup = cheader.helper_prototype(abi.helper("map_lookup_elem"))
    assert lookup == "static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;"
    csum = cheader.helper_prototype(abi.helper("csum_diff"))
    assert "(const void *ptr1, __u32 size1, const void *ptr2, __u32 size2, __u64 arg)" in csum
    # Only chamelio hooks allow rx_deliver, so its ctx is their context struct.
    assert "(struct chamelio_ctx *ctx, const void *ptr, __u32 size)" in \
        cheader.helper_prototype(abi.helper("rx_deliver"))
    assert "bpf_ktime_get_ns)(void)" in cheader.helper_prototype(abi.helper("ktime_get_ns"))


def test_header_changes_when_a_table_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    before = cheader.render()
    extra = dataclasses.replace(abi.helper("rearm_tx"), id=1099, name="frobnicate")
    monkeypatch.setattr(cheader, "HELPERS", {**abi.HELPERS, 1099: extra})
    layout = ContextLayout("tenant_extra", 8, (ContextField("x", 4, 4, "u32", doc="doc of x"),))
    monkeypatch.setattr(cheader, "LAYOUTS", {**abi.LAYOUTS, "tenant_extra": layout})
    after = cheader.render()
    assert "frobnicate" not in before and "tenant_extra" not in before
    assert "static long (*bpf_frobnicate)(void *ctx) = (void *)1099;" in after  # no hook allows it
    assert "struct tenant_extra {\n\t__u8 __pad0[4];\n\t__u32 x;\t/* 4: doc of x */\n};" in after


def test_every_table_entry_is_in_the_header() -> None:
    text = cheader.render()
    for h in abi.HELPERS.values():
        assert cheader.helper_prototype(h) in text
    for layout in abi.LAYOUTS.values():
        assert f"struct {layout.name} {{" in text
    for hk in abi.HOOKS.values():
        assert f'#define {cheader.section_macro(hk.name)} "{hk.section}"' in text


def test_misaligned_or_overlapping_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="not aligned"):
        cheader.render_struct(ContextLayout("m", 8, (ContextField("a", 2, 4, "u32"),)))
    with pytest.raises(ValueError, match="overlaps"):
        cheader.render_struct(ContextLayout("o", 8, (ContextField("a", 0, 4, "u32"),
                                                     ContextField("b", 2, 2, "u16"))))


def test_cli_writes_the_header_and_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "chamelio.h"
    assert main(["abi", "--c-header", "-o", str(out)]) == 0
    assert out.read_text() == cheader.render()
    assert main(["abi", "--c-header"]) == 0
    assert capsys.readouterr().out == cheader.render()
    assert main(["abi"]) == 0
    text = capsys.readouterr().out
    for hk in abi.HOOKS.values():
        assert hk.name in text
    for h in abi.HELPERS.values():
        assert f"bpf_{h.name}(" in text
    assert main(["abi", "-o", str(out)]) == 2
    assert "-o applies to --c-header only" in capsys.readouterr().err
