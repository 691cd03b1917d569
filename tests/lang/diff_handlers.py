"""Small XDP handlers for the differential test: plain Python == native == the kernel.

Each reads its operands from the packet, writes its results back into the packet (so every
bit of every result is compared, not only a verdict) and returns a verdict in 0..4. A packet
shorter than what a handler needs is passed unchanged (the bounds-check path is compared too).
"""

from __future__ import annotations

from chamelio.lang import (
    BPF_EXIST,
    BPF_NOEXIST,
    Array,
    ArrayMap,
    HashMap,
    XdpAction,
    XdpCtx,
    i8,
    i16,
    i32,
    i64,
    struct,
    u8,
    u16,
    u32,
    u64,
)

PASS = u32(XdpAction.PASS)


# ---- arithmetic at every width and signedness -----------------------------------------------
# Operands a, b at offsets 0 and W; results at 2W, 3W, ...: + - * // % << >> bitwise, the
# signed // % >> * and negation of the same bits, then a byte of comparison flags.

def arith_8(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(16):
        return PASS
    a = pkt.u8(0)
    b = pkt.u8(1)
    sa = i8(a)
    sb = i8(b)
    pkt.store_u8(2, a + b)
    pkt.store_u8(3, a - b)
    pkt.store_u8(4, a * b)
    pkt.store_u8(5, a // b)
    pkt.store_u8(6, a % b)
    pkt.store_u8(7, a << b)
    pkt.store_u8(8, a >> b)
    pkt.store_u8(9, (a & b) ^ (a | ~b))
    pkt.store_u8(10, u8(sa // sb))
    pkt.store_u8(11, u8(sa % sb))
    pkt.store_u8(12, u8(sa >> sb))
    pkt.store_u8(13, u8(sa * sb - -sa))
    pkt.store_u8(14, u8(a < b) | u8(sa < sb) << 1 | u8(a >= b) << 2 | u8(sa >= sb) << 3
                 | u8(a == b) << 4 | u8(sa <= sb) << 5 | u8(a > b) << 6 | u8(sa != sb) << 7)
    return u32(a % 5)


def arith_16(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(32):
        return PASS
    a = pkt.be16(0)
    b = pkt.be16(2)
    sa = i16(a)
    sb = i16(b)
    pkt.store_be16(4, a + b)
    pkt.store_be16(6, a - b)
    pkt.store_be16(8, a * b)
    pkt.store_be16(10, a // b)
    pkt.store_be16(12, a % b)
    pkt.store_be16(14, a << b)
    pkt.store_be16(16, a >> b)
    pkt.store_be16(18, (a & b) ^ (a | ~b))
    pkt.store_be16(20, u16(sa // sb))
    pkt.store_be16(22, u16(sa % sb))
    pkt.store_be16(24, u16(sa >> sb))
    pkt.store_be16(26, u16(sa * sb - -sa))
    pkt.store_u8(28, u8(a < b) | u8(sa < sb) << 1 | u8(a >= b) << 2 | u8(sa >= sb) << 3
                 | u8(a == b) << 4 | u8(sa <= sb) << 5 | u8(a > b) << 6 | u8(sa != sb) << 7)
    return u32(a % 5)


def arith_32(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(60):
        return PASS
    a = pkt.be32(0)
    b = pkt.be32(4)
    sa = i32(a)
    sb = i32(b)
    pkt.store_be32(8, a + b)
    pkt.store_be32(12, a - b)
    pkt.store_be32(16, a * b)
    pkt.store_be32(20, a // b)
    pkt.store_be32(24, a % b)
    pkt.store_be32(28, a << b)
    pkt.store_be32(32, a >> b)
    pkt.store_be32(36, (a & b) ^ (a | ~b))
    pkt.store_be32(40, u32(sa // sb))
    pkt.store_be32(44, u32(sa % sb))
    pkt.store_be32(48, u32(sa >> sb))
    pkt.store_be32(52, u32(sa * sb - -sa))
    pkt.store_u8(56, u8(a < b) | u8(sa < sb) << 1 | u8(a >= b) << 2 | u8(sa >= sb) << 3
                 | u8(a == b) << 4 | u8(sa <= sb) << 5 | u8(a > b) << 6 | u8(sa != sb) << 7)
    return a % 5


def arith_64(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(112):
        return PASS
    a = pkt.be64(0)
    b = pkt.be64(8)
    sa = i64(a)
    sb = i64(b)
    pkt.store_be64(16, a + b)
    pkt.store_be64(24, a - b)
    pkt.store_be64(32, a * b)
    pkt.store_be64(40, a // b)
    pkt.store_be64(48, a % b)
    pkt.store_be64(56, a << b)
    pkt.store_be64(64, a >> b)
    pkt.store_be64(72, (a & b) ^ (a | ~b))
    pkt.store_be64(80, u64(sa // sb))
    pkt.store_be64(88, u64(sa % sb))
    pkt.store_be64(96, u64(sa >> sb))
    pkt.store_be64(104, u64(sa * sb - -sa))
    pkt.store_u8(111, u8(a < b) | u8(sa < sb) << 1 | u8(a >= b) << 2 | u8(sa >= sb) << 3
                 | u8(a == b) << 4 | u8(sa <= sb) << 5 | u8(a > b) << 6 | u8(sa != sb) << 7)
    return u32(a % 5)


# ---- shifts by run-time amounts (masked to the width), and casts --------------------------

def shifts(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(56):
        return PASS
    x = pkt.be64(0)
    n = pkt.u8(8)
    pkt.store_be64(16, x << u64(n))
    pkt.store_be64(24, x >> u64(n))
    pkt.store_be64(32, u64(i64(x) >> i64(n)))
    w = u32(x)
    pkt.store_be32(40, w << u32(n))
    pkt.store_be32(44, u32(i32(w) >> i32(n)))
    h = u16(x)
    pkt.store_be16(48, h >> u16(n))
    pkt.store_be16(50, u16(i16(h) << i16(n)))
    c = u8(x)
    pkt.store_u8(52, c << n)
    pkt.store_u8(53, u8(i8(c) >> i8(n)))
    pkt.store_u8(54, c >> (n & 7))
    return u32(n & 3)


def casts(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(64):
        return PASS
    x = pkt.be64(0)
    pkt.store_be64(8, u64(i8(u8(x))))
    pkt.store_be64(16, u64(i16(u16(x))))
    pkt.store_be64(24, u64(i32(u32(x))))
    pkt.store_be64(32, u64(u32(i8(u8(x)))))
    pkt.store_be32(40, u32(i16(x)))
    pkt.store_be16(44, u16(i64(x) >> 60))
    pkt.store_u8(46, u8(bool(x & 0x100)))
    pkt.store_u8(47, u8(i8(x) < 0))
    pkt.store_be64(48, u64(i64(i32(x))) + u64(u16(i8(x >> 8))))
    return u32(x >> 62)


# ---- control flow ---------------------------------------------------------------------------

def branches(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(24):
        return PASS
    a = pkt.be32(0)
    b = pkt.be32(4)
    c = pkt.u8(8)
    r = u32(0)
    if a > b and c != 0:
        r = a - b
    elif a == b or c == 7:
        r = u32(7)
    elif not a < 100 and b < 1000:
        r = b // u32(c)
    else:
        r = max(a, b) - min(a, b)
    s = i32(a)
    sign = i32(1) if s > 0 else (i32(-1) if s < 0 else i32(0))
    flag = a & 1 != 0 or b & 2 != 0
    pkt.store_be32(12, r)
    pkt.store_u8(16, u8(sign))
    pkt.store_u8(17, u8(flag))
    pkt.store_u8(18, u8(not flag and c > 128))
    return u32(c & 3)


def loops(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    total = u32(0)
    zeros = u32(0)
    for i in range(48):
        if not pkt.has_at(i, 1):
            break
        v = pkt.u8(i)
        if v == 0:
            zeros += 1
            continue
        total += u32(v) * (i + 1)
    acc = u32(1)
    for j in range(1, 17, 3):
        acc = acc * 3 + j
    if not pkt.has(24):
        return PASS
    x = pkt.be32(0)
    n = u32(0)
    bits = u32(0)
    while n < 32:
        n += 1
        if x & 1 != 0:
            bits += 1
        x = x >> 1
    pkt.store_be32(4, total)
    pkt.store_be32(8, zeros)
    pkt.store_be32(12, acc)
    pkt.store_be32(16, bits)
    return bits & 3


# ---- structs: packet views, local structs and arrays ------------------------------------

@struct
class Rec:
    kind: u8
    flags: u16
    value: u32
    big: u64
    small: i8


@struct
class Pair:
    lo: u32
    hi: u32


def structs(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(56):
        return PASS
    r = pkt.view(Rec, 0)
    p = Pair()
    p.lo = r.value
    p.hi = u32(r.big >> 32)
    out = pkt.view(Rec, 24)
    out.kind = r.kind + 1
    out.flags = r.flags ^ 0xFFFF
    out.value = p.lo + p.hi
    out.big = r.big * 3
    out.small = -r.small
    parts = Array[u16, 4]()  # type: ignore[valid-type]  # mypy reads Array[...] as a type
    for i in range(4):
        parts[i] = u16(r.big >> u64(i * 16))
    s = u16(0)
    for i in range(4):
        s += parts[i] * u16(i + 1)
    pkt.store_le16(48, s)
    return u32(r.kind & 3)


# ---- maps ---------------------------------------------------------------------------------

table = HashMap(key=u16, value=u32, max_entries=8)
totals = ArrayMap(value=u64, max_entries=4)


def maps(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(16):
        return PASS
    op = pkt.u8(0) & 3
    key = pkt.be16(1) & 0x1F
    val = pkt.be32(3)
    rc = i64(0)
    if op == 0:
        rc = table.update(key, val, BPF_NOEXIST)
    elif op == 1:
        rc = table.update(key, val, BPF_EXIST)
    elif op == 2:
        rc = table.delete(key)
    else:
        v = table.lookup(key)
        if v is not None:
            v[0] += val
            rc = i64(v[0])
        else:
            rc = i64(-1)
    pkt.store_be64(8, u64(rc))
    slot = totals.lookup(u32(op))
    if slot is not None:
        slot[0] += u64(val)
    return u32(op)


# ---- calls to lang functions, and both byte orders ----------------------------------------

def clamp(v: u32, lo: u32, hi: u32) -> u32:
    if v < lo:
        return lo
    if v > hi:
        return hi
    return v


def gcd(a: u32, b: u32) -> u32:
    x = a
    y = b
    for _ in range(48):  # Euclid needs at most 47 steps on 32-bit numbers
        if y == 0:
            break
        t = x % y
        x = y
        y = t
    return x


def calls(ctx: XdpCtx) -> u32:
    pkt = ctx.packet()
    if not pkt.has(32):
        return PASS
    a = pkt.le32(0)
    b = pkt.le32(4)
    g = gcd(a, b)
    pkt.store_le32(8, g)
    pkt.store_le32(12, clamp(a, u32(100), b))
    pkt.store_le64(16, pkt.le64(0) ^ pkt.be64(0))
    pkt.store_le16(24, pkt.le16(2) + pkt.be16(2))
    return g & 3


HANDLERS = [arith_8, arith_16, arith_32, arith_64, shifts, casts, branches, loops, structs,
            maps, calls]
