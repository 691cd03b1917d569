"""`make demo` runs `python -m chamelio.demo`; it must show three executions agreeing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chamelio import demo

ROOT = Path(__file__).resolve().parents[1]


def test_demo_agrees_on_every_packet(capsys: pytest.CaptureFixture[str]) -> None:
    os.chdir(ROOT)
    assert demo.main([]) == 0
    out = capsys.readouterr().out
    assert "all executions agree." in out
    assert "worst-case cost" in out
    assert out.count(" yes") == len(demo.demo_packets())


def test_demo_missing_example_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["no/such/example.py"]) == 2
    assert "no such example" in capsys.readouterr().err
