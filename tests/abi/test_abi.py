"""The ABI tables are self-consistent, and the kernel layouts match the kernel's uapi."""

from __future__ import annotations

import ctypes
import itertools

import pytest

from chamelio import abi
from chamelio.abi.helpers import ones_complement_sum


def test_every_hook_allows_only_known_helpers() -> None:
    for h in abi.HOOKS.values():
        for hid in h.helper_ids:
            assert hid in abi.HELPERS, (h.name, hid)
        assert h.ret_min <= h.ret_max
        assert h.default_budget > 0


def test_fields_do_not_overlap_and_are_aligned() -> None:
    for layout in abi.LAYOUTS.values():
        spans = sorted((f.offset, f.end, f.name) for f in layout.fields)
        for (_, end, name), (start, _, nxt) in itertools.pairwise(spans):
            assert end <= start, f"{layout.name}: {name} overlaps {nxt}"
        for f in layout.fields:
            assert f.offset % f.size == 0, f"{layout.name}.{f.name} misaligned"


class XdpMd(ctypes.Structure):
    # include/uapi/linux/bpf.h, struct xdp_md
    _fields_ = [(n, ctypes.c_uint32) for n in (
        "data", "data_end", "data_meta", "ingress_ifindex", "rx_queue_index", "egress_ifindex")]


def test_xdp_md_matches_uapi() -> None:
    assert ctypes.sizeof(XdpMd) == abi.XDP_MD.size
    for f in abi.XDP_MD.fields:
        assert getattr(XdpMd, f.name).offset == f.offset


def test_pointer_fields_load_whole_only() -> None:
    assert abi.XDP_MD.field_at(0, 4) is not None
    assert abi.XDP_MD.field_at(0, 2) is None  # half a packet pointer is not allowed
    assert abi.XDP_MD.field_at(12, 1) is not None  # a narrow load of a scalar is
    assert abi.XDP_MD.field_at(22, 4) is None


def test_lookup_errors_name_the_alternatives() -> None:
    with pytest.raises(KeyError, match="known:"):
        abi.hook("nope")
    with pytest.raises(KeyError, match="fields:"):
        abi.CHAMELIO_CTX.field("nope")
    assert abi.hook("rx") is abi.HOOKS["chamelio/rx"]
    assert abi.hook_for_section("xdp/foo") is abi.HOOKS["xdp"]
    assert abi.hook_for_section("kprobe/x") is None


def test_helper_cost_scales_with_size_bound() -> None:
    csum = abi.helper("csum_diff")
    assert csum.worst_cost(0) == csum.cost
    assert csum.worst_cost(64) == csum.cost + 64
    assert csum.worst_cost(10_000) == csum.cost + 512  # clamped by the helper


def test_ones_complement_sum_wraps_end_around() -> None:
    assert ones_complement_sum(b"\xff\xff\xff\xff" * 2) == 0xFFFFFFFF
    assert ones_complement_sum(b"\x01\x00\x00\x00", seed=0xFFFFFFFF) == 1


def test_docs_abi_md_is_current() -> None:
    from pathlib import Path

    from chamelio.abi.doc import render

    doc = (Path(__file__).resolve().parents[2] / "docs" / "abi.md").read_text()
    assert render() in doc, "docs/abi.md is stale: run `python -m chamelio.abi.doc` and paste the output"
