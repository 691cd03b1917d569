"""Program kinds guessed from section names, libbpf-style, with the kernel's program types.

The longest matching prefix wins. Kernel numbers are ``enum bpf_prog_type``; Chamelio's own
hooks (``chamelio/rx``, ``chamelio/tx``) have no kernel program type (``None``).
"""

from __future__ import annotations

# (section prefix, kind, kernel prog type). A prefix matches the exact name and names that
# continue it with anything but a lowercase letter ("xdp" -> "xdp_prog", "xdp1", "xdp/x";
# "tc" -> "tc_mark" but not "tcp_x").
_TABLE: tuple[tuple[str, str, int | None], ...] = (
    ("chamelio/rx", "chamelio/rx", None),
    ("chamelio/tx", "chamelio/tx", None),
    ("socket", "socket", 1),
    ("sk_reuseport", "sk_reuseport", 21),
    ("kprobe", "kprobe", 2),
    ("kretprobe", "kprobe", 2),
    ("uprobe", "kprobe", 2),
    ("uretprobe", "kprobe", 2),
    ("ksyscall", "kprobe", 2),
    ("kretsyscall", "kprobe", 2),
    ("usdt", "kprobe", 2),
    ("classifier", "tc", 3),
    ("tc", "tc", 3),
    ("tcx", "tc", 3),
    ("netkit", "tc", 3),
    ("action", "tc_action", 4),
    ("tracepoint", "tracepoint", 5),
    ("tp/", "tracepoint", 5),
    ("xdp", "xdp", 6),
    ("perf_event", "perf_event", 7),
    ("cgroup_skb", "cgroup_skb", 8),
    ("cgroup/skb", "cgroup_skb", 8),
    ("cgroup/sock", "cgroup_sock", 9),
    ("cgroup/post_bind", "cgroup_sock", 9),
    ("cgroup/bind", "cgroup_sock_addr", 18),
    ("cgroup/connect", "cgroup_sock_addr", 18),
    ("cgroup/sendmsg", "cgroup_sock_addr", 18),
    ("cgroup/recvmsg", "cgroup_sock_addr", 18),
    ("cgroup/getpeername", "cgroup_sock_addr", 18),
    ("cgroup/getsockname", "cgroup_sock_addr", 18),
    ("cgroup/dev", "cgroup_device", 15),
    ("cgroup/sysctl", "cgroup_sysctl", 23),
    ("cgroup/getsockopt", "cgroup_sockopt", 25),
    ("cgroup/setsockopt", "cgroup_sockopt", 25),
    ("lwt_in", "lwt", 10),
    ("lwt_out", "lwt", 11),
    ("lwt_xmit", "lwt", 12),
    ("lwt_seg6local", "lwt", 19),
    ("sockops", "sockops", 13),
    ("sk_skb", "sk_skb", 14),
    ("sk_msg", "sk_msg", 16),
    ("raw_tracepoint", "raw_tracepoint", 17),
    ("raw_tp", "raw_tracepoint", 17),
    ("raw_tracepoint.w", "raw_tracepoint", 24),
    ("raw_tp.w", "raw_tracepoint", 24),
    ("lirc_mode2", "lirc_mode2", 20),
    ("flow_dissector", "flow_dissector", 22),
    ("tp_btf/", "tracing", 26),
    ("fentry", "tracing", 26),
    ("fexit", "tracing", 26),
    ("fmod_ret", "tracing", 26),
    ("iter", "tracing", 26),
    ("struct_ops", "struct_ops", 27),
    ("freplace/", "ext", 28),
    ("lsm", "lsm", 29),
    ("sk_lookup", "sk_lookup", 30),
    ("syscall", "syscall", 31),
    ("netfilter", "netfilter", 32),
)
_BY_LENGTH = sorted(_TABLE, key=lambda row: -len(row[0]))


def _matches(section: str, prefix: str) -> bool:
    if not section.startswith(prefix):
        return False
    rest = section[len(prefix) :]
    return not rest or prefix.endswith("/") or not ("a" <= rest[0] <= "z")


def guess_kind(section: str) -> tuple[str, int | None]:
    """``(kind, kernel prog type)`` for a program section; ``("unknown", None)`` if no match."""
    for prefix, kind, prog_type in _BY_LENGTH:
        if _matches(section, prefix):
            return kind, prog_type
    return "unknown", None
