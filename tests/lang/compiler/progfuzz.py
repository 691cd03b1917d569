"""A generator of random well-typed handlers for differential tests (not a test module).

Programs read operands from the packet, do integer arithmetic at u32 (with casts through
other widths and signed division), index a local array, update a struct and a map, store
into the packet, and loop (``for range`` and counted ``while``). Many of them are rejected
by the checker (literals that do not fit, plain-Python int arithmetic that could wrap ...);
the rest must agree in plain Python, native code and the kernel.
"""

from __future__ import annotations

import random

HEADER = """\
from chamelio.lang import u8, u16, u32, u64, i32, Array, HashMap, XdpCtx, XdpAction, struct
m = HashMap(key=u32, value=u64, max_entries=4)
@struct
class S:
    x: u8
    y: u32
def f(a: u32, b: u32) -> u32:
    if a > b:
        return a - b
    return b // (a | 1)
"""
OPS = ["+", "-", "*", "//", "%", "<<", ">>", "&", "|", "^"]
CMPS = ["==", "!=", "<", "<=", ">", ">="]


def e(rng: random.Random, d: int = 0) -> str:
    if d > 3 or rng.random() < 0.3:
        return rng.choice([
            "x", "y", "z", "0", "1", "7", "255", "65535", "4294967295",
            f"u32(pkt.u8({rng.randrange(14)}))", f"u32(pkt.be16({rng.randrange(12)}))",
            f"pkt.be32({rng.randrange(10)})", "u32(s.x)", "s.y", f"arr[{rng.randrange(4)}]",
            "u32(ctx.rx_queue_index)", "pkt.len()"])
    k = rng.random()
    if k < 0.55:
        return f"({e(rng, d + 1)} {rng.choice(OPS)} {e(rng, d + 1)})"
    if k < 0.62:
        return f"{rng.choice(['min', 'max', 'f'])}({e(rng, d + 1)}, {e(rng, d + 1)})"
    if k < 0.7:
        return f"({e(rng, d + 1)} if {c(rng, d + 1)} else {e(rng, d + 1)})"
    if k < 0.78:
        return f"u32({rng.choice(['u8', 'u16', 'i32', 'u64'])}({e(rng, d + 1)}))"
    if k < 0.85:
        return f"arr[{e(rng, d + 1)} & 3]"
    if k < 0.9:
        return f"(~{e(rng, d + 1)})"
    op = rng.choice(["//", "%", ">>"])
    return f"u32(i32({e(rng, d + 1)}) {op} i32({e(rng, d + 1)}))"


def c(rng: random.Random, d: int = 0) -> str:
    k = rng.random()
    if d > 2 or k < 0.6:
        return f"{e(rng, d + 1)} {rng.choice(CMPS)} {e(rng, d + 1)}"
    if k < 0.75:
        return f"({c(rng, d + 1)} and {c(rng, d + 1)})"
    if k < 0.9:
        return f"({c(rng, d + 1)} or {c(rng, d + 1)})"
    return f"not {c(rng, d + 1)}"


def stmt(rng: random.Random, ind: int, d: int, loopvars: list[str]) -> str:
    p = "    " * ind
    k = rng.random()
    if d < 2 and k < 0.15:
        return (f"{p}if {c(rng)}:\n{block(rng, ind + 1, d + 1, loopvars)}{p}else:\n"
                f"{block(rng, ind + 1, d + 1, loopvars)}")
    if d < 2 and k < 0.22:
        lv = f"i{d}"
        bounds = rng.choice(["4", "0, 8, 3", "3"])
        return f"{p}for {lv} in range({bounds}):\n{block(rng, ind + 1, d + 1, [*loopvars, lv])}"
    if d < 2 and k < 0.27:
        lv = f"w{d}"
        return (f"{p}{lv}: u32 = 0\n{p}while {lv} < {rng.randrange(1, 6)}:\n{p}    {lv} += 1\n"
                f"{block(rng, ind + 1, d + 1, loopvars)}")
    if k < 0.3 and loopvars:
        return f"{p}{rng.choice(['break', 'continue'])}\n"
    if k < 0.34:
        return f"{p}return ({e(rng)}) % 5\n"
    if k < 0.45:
        return f"{p}arr[{e(rng)} & 3] = {e(rng)}\n"
    if k < 0.5:
        return f"{p}s.y = {e(rng)}\n"
    if k < 0.55:
        return f"{p}s.x = u8({e(rng)})\n"
    if k < 0.6:
        return (f"{p}v = m.lookup(x & 3)\n{p}if v is not None:\n{p}    v[0] += u64({e(rng)})\n"
                f"{p}else:\n{p}    m.update(x & 3, u64(y), 0)\n")
    if k < 0.65 and loopvars:
        return f"{p}x = x + u32({rng.choice(loopvars)})\n"
    if k < 0.7:
        return f"{p}pkt.store_be16({rng.randrange(12)}, u16({e(rng)}))\n"
    op = rng.choice(["=", "+=", "^=", ">>=", "*="])
    return f"{p}{rng.choice(['x', 'y', 'z'])} {op} {e(rng)}\n"


def block(rng: random.Random, ind: int, d: int, loopvars: list[str]) -> str:
    return "".join(stmt(rng, ind, d, loopvars) for _ in range(rng.randint(1, 4)))


def program(rng: random.Random) -> str:
    body = ("    pkt = ctx.packet()\n    if not pkt.has(14):\n        return 1\n"
            "    x: u32 = pkt.be32(0)\n    y: u32 = pkt.be32(4)\n    z = u32(pkt.be16(8))\n"
            "    s = S(x=3)\n    arr = Array[u32, 4]()\n")
    return (HEADER + "\ndef prog(ctx: XdpCtx) -> u32:\n" + body + block(rng, 1, 0, [])
            + "    return (x ^ y ^ z ^ s.y ^ arr[1]) % 5\n")
