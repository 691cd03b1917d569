"""The README's handler example is real: it runs as plain Python and compiles to eBPF."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from chamelio.ebpf.elf import load_object

ROOT = Path(__file__).resolve().parents[1]


def test_readme_example_runs_and_compiles(tmp_path: Path) -> None:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "the README lost its handler example"
    src = tmp_path / "readme_example.py"
    src.write_text(blocks[0])
    spec = importlib.util.spec_from_file_location("readme_example", src)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["readme_example"] = module
    spec.loader.exec_module(module)

    from chamelio.lang import XdpCtx, compile_bpf

    tcp_frame = bytes(12) + b"\x08\x00" + bytes(9) + b"\x06" + bytes(20)
    assert module.count(XdpCtx.from_packet(tcp_frame)) == 2  # XDP_PASS
    assert module.count(XdpCtx.from_packet(tcp_frame[:20])) == 2
    slot = module.per_proto.lookup(6)
    assert slot is not None and int(slot[0]) == 1
    obj = load_object(compile_bpf(module.count, hook="xdp"))
    assert [m.name for m in obj.maps] == ["per_proto"]
