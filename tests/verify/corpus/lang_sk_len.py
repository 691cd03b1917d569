# profile: socket_filter
# expect: accept
# why: a socket filter that keeps at most 96 bytes
from chamelio.lang import SkbCtx, u32


def handler(ctx: SkbCtx) -> u32:
    return min(ctx.len, u32(96))
