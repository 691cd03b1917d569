"""Fixtures shared by every test package.

``kernel``: requesting it skips the test, with the reason printed, where ``bpf(2)`` is
unavailable (not Linux, not root, a seccomp filter ...). Tests marked
``@pytest.mark.kernel`` are skipped the same way, and tests requesting the fixture carry
the marker, so ``pytest -m "not kernel"`` leaves them all out.
"""

from __future__ import annotations

import pytest


def _skip_without_kernel() -> None:
    from chamelio.ebpf.kernel import kernel_available

    ok, reason = kernel_available()
    if not ok:
        pytest.skip(f"bpf(2) unavailable: {reason}")


@pytest.fixture(scope="session")
def kernel() -> None:
    """Skip the requesting test unless this process can use bpf(2)."""
    _skip_without_kernel()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "kernel" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.kernel)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("kernel") is not None:
        _skip_without_kernel()
