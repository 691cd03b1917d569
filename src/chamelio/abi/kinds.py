"""The vocabulary of the ABI: kinds of values, arguments and returns.

These kinds are what the verifier tracks and what the compiler types; they mirror the Linux
kernel's ``bpf_reg_type``/``bpf_arg_type`` where one exists, so the kernel profiles map 1:1.
"""

from __future__ import annotations

import enum


class ValueKind(enum.Enum):
    """What a context field (or a helper's return) holds once loaded into a register."""

    SCALAR = "scalar"
    PTR_TO_CTX = "ptr_to_ctx"
    PTR_TO_PACKET = "ptr_to_packet"  # start of packet data (ctx.data)
    PTR_TO_PACKET_META = "ptr_to_packet_meta"
    PTR_TO_PACKET_END = "ptr_to_packet_end"  # one past the last byte; only compared
    PTR_TO_FLOW_OR_NULL = "ptr_to_flow_or_null"  # tenant part of the flow state, writable
    PTR_TO_PFLOW_OR_NULL = "ptr_to_pflow_or_null"  # provider part of the flow state, read-only
    PTR_TO_MAP_VALUE_OR_NULL = "ptr_to_map_value_or_null"
    CONST_MAP_PTR = "const_map_ptr"


class ArgKind(enum.Enum):
    """What a helper accepts in one argument register (r1..r5)."""

    ANYTHING = "anything"  # any initialised scalar
    CONST_MAP_PTR = "const_map_ptr"  # a map reference from lddw
    PTR_TO_MAP_KEY = "ptr_to_map_key"  # readable memory of the map's key size
    PTR_TO_MAP_VALUE = "ptr_to_map_value"  # readable memory of the map's value size
    PTR_TO_CTX = "ptr_to_ctx"
    PTR_TO_MEM = "ptr_to_mem"  # readable memory; its size is the next argument
    PTR_TO_UNINIT_MEM = "ptr_to_uninit_mem"  # writable memory; its size is the next argument
    CONST_SIZE = "const_size"  # size of the preceding memory argument, > 0, bounded
    CONST_SIZE_OR_ZERO = "const_size_or_zero"  # as CONST_SIZE, but 0 is allowed


class RetKind(enum.Enum):
    """What a helper leaves in r0."""

    INTEGER = "integer"
    PTR_TO_MAP_VALUE_OR_NULL = "ptr_to_map_value_or_null"
    VOID = "void"  # r0 is left unusable (reading it is an uninitialised read)
