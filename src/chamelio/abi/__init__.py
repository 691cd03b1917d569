"""The handler ABI as data: the single source the compiler, verifier, interpreter and fast
path read. See ``docs/abi.md``. Nothing here imports any other part of Chamelio."""

from chamelio.abi.context import (
    CHAMELIO_CTX,
    LAYOUTS,
    PROVIDER_FLOW,
    SK_BUFF,
    XDP_MD,
    ContextField,
    ContextLayout,
)
from chamelio.abi.helpers import HELPERS, HELPERS_BY_NAME, Helper, HelperEnv, helper
from chamelio.abi.hooks import (
    BPF_PROG_TYPE_SOCKET_FILTER,
    BPF_PROG_TYPE_XDP,
    HOOKS,
    Hook,
    Verdict,
    XdpAction,
    hook,
    hook_for_section,
)
from chamelio.abi.kinds import ArgKind, RetKind, ValueKind
from chamelio.abi.maptypes import BPF_ANY, BPF_EXIST, BPF_NOEXIST, MAP_TYPES, MapType

__all__ = [
    "BPF_ANY",
    "BPF_EXIST",
    "BPF_NOEXIST",
    "BPF_PROG_TYPE_SOCKET_FILTER",
    "BPF_PROG_TYPE_XDP",
    "CHAMELIO_CTX",
    "HELPERS",
    "HELPERS_BY_NAME",
    "HOOKS",
    "LAYOUTS",
    "MAP_TYPES",
    "PROVIDER_FLOW",
    "SK_BUFF",
    "XDP_MD",
    "ArgKind",
    "ContextField",
    "ContextLayout",
    "Helper",
    "HelperEnv",
    "Hook",
    "MapType",
    "RetKind",
    "ValueKind",
    "Verdict",
    "XdpAction",
    "helper",
    "hook",
    "hook_for_section",
]
