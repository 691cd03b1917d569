# profile: socket_filter
# expect: accept
# why: cb[] fields are writable in a socket filter
from chamelio.lang import SkbCtx, u32


def handler(ctx: SkbCtx) -> u32:
    ctx.cb0 = ctx.protocol
    ctx.cb1 = ctx.cb0 + 1
    return ctx.len
