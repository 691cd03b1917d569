"""Chamelio: a programmable shared network stack.

Tenants bring whole protocols as eBPF handlers; the provider verifies them against a
bounded-cost contract and compiles them with its own fast path through LLVM.
"""

__version__ = "0.1.0"
