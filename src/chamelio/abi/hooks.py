"""Hooks and their profiles: where a handler runs, what it sees, what it may call and return.

A :class:`Hook` is the profile the verifier checks a program against and the compiler types
a handler with. ``chamelio/rx`` and ``chamelio/tx`` are Chamelio's own; ``xdp`` and
``socket_filter`` are the kernel's, kept for interop and so that the kernel can act as the
oracle for our verifier and compiler.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chamelio.abi.context import CHAMELIO_CTX, SK_BUFF, XDP_MD, ContextLayout
from chamelio.abi.helpers import HELPERS, Helper


class XdpAction(enum.IntEnum):
    ABORTED = 0
    DROP = 1
    PASS = 2
    TX = 3
    REDIRECT = 4


class Verdict(enum.IntEnum):
    """What a chamelio/rx or chamelio/tx handler returns."""

    DROP = 0  # free the packet, count a drop
    CONSUME = 1  # the handler is done with the packet (e.g. payload delivered)
    TX = 2  # transmit the (rewritten) packet
    PUNT = 3  # hand the packet to the tenant's slow path


# Kernel program types (enum bpf_prog_type) for the kernel profiles.
BPF_PROG_TYPE_SOCKET_FILTER = 1
BPF_PROG_TYPE_XDP = 6


@dataclass(frozen=True, slots=True)
class Hook:
    name: str  # profile name, used on the command line
    sections: tuple[str, ...]  # ELF section names (exact, or prefixes ending in "/")
    context: ContextLayout
    helper_ids: frozenset[int]
    ret_min: int
    ret_max: int  # inclusive range of r0 at exit
    default_budget: int  # contract units (eBPF instructions + helper costs) per invocation
    kernel_prog_type: int | None  # None: not a kernel hook
    verdicts: type[enum.IntEnum] | None
    doc: str = ""

    @property
    def section(self) -> str:
        """The section a compiler puts this hook's program in."""
        return self.sections[0]

    @property
    def helpers(self) -> list[Helper]:
        return [HELPERS[i] for i in sorted(self.helper_ids)]

    def allows(self, helper_id: int) -> bool:
        return helper_id in self.helper_ids

    def matches_section(self, section: str) -> bool:
        return any(section == s or (s.endswith("/") and section.startswith(s)) for s in self.sections)


_MAPS = frozenset({1, 2, 3})
_COMMON = _MAPS | {5, 7, 8, 28}
_FLOW_IO = frozenset({1003, 1004, 1005})

HOOKS: dict[str, Hook] = {
    h.name: h
    for h in (
        Hook("chamelio/rx", ("chamelio/rx", "chamelio/rx/"), CHAMELIO_CTX, _COMMON | _FLOW_IO | {1001},
             0, 3, 2000, None, Verdict,
             "a received packet classified to this tenant (and flow, if registered)"),
        Hook("chamelio/tx", ("chamelio/tx", "chamelio/tx/"), CHAMELIO_CTX, _COMMON | _FLOW_IO | {1002},
             0, 3, 2000, None, Verdict, "a flow of this tenant is scheduled to send"),
        Hook("xdp", ("xdp", "xdp/", "xdp.frags", "xdp.frags/"), XDP_MD, _COMMON, 0, 4, 100_000,
             BPF_PROG_TYPE_XDP, XdpAction, "the kernel's XDP hook"),
        Hook("socket_filter", ("socket", "socket/", "socket_filter"), SK_BUFF, _COMMON - {28},
             0, 0xFFFFFFFF, 100_000, BPF_PROG_TYPE_SOCKET_FILTER, None,
             "the kernel's socket filter: returns the number of bytes to keep (0 drops)"),
    )
}

# Short aliases accepted wherever a hook name is read.
ALIASES = {"rx": "chamelio/rx", "tx": "chamelio/tx", "socket": "socket_filter"}


def hook(name: str) -> Hook:
    key = ALIASES.get(name, name)
    try:
        return HOOKS[key]
    except KeyError:
        known = ", ".join(sorted(HOOKS))
        raise KeyError(f"unknown hook {name!r} (known: {known})") from None


def hook_for_section(section: str) -> Hook | None:
    for h in HOOKS.values():
        if h.matches_section(section):
            return h
    return None
