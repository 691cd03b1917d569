# profile: xdp
# expect: accept
# why: two struct locals on the stack, written and read (in a loop too)
from chamelio.lang import XdpAction, XdpCtx, struct, u8, u16, u32

PASS = u32(XdpAction.PASS)
DROP = u32(XdpAction.DROP)


@struct
class Key:
    proto: u8
    port: u16
    addr: u32


def handler(ctx: XdpCtx) -> u32:
    key = Key()
    key.proto = u8(6)
    key.addr = u32(1)
    other = Key()
    other.port = u16(ctx.rx_queue_index)
    for i in range(4):
        other.addr += key.addr + u32(i)
    if key.proto != 6 or other.port > 3 or other.addr != 10:
        return DROP
    return PASS
