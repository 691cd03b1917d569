"""Flow-sensitive facts the checker proves along the structured AST.

A :class:`Facts` value describes what holds at one program point on every path reaching it:

* ``assigned`` — locals definitely assigned (a read of anything else is an error);
* ``pkt`` — per packet-view variable, a length ``n`` with ``data + n <= data_end`` proven
  (``pkt.has(n)`` was true), so accesses to bytes ``0 .. n-1`` are in bounds;
* ``dyn`` — per ``(packet var, base)``, an interval ``[lo, hi)`` of bytes relative to the
  offset variable ``base`` (``""`` for offset 0) proven in bounds by ``pkt.has_at(base + lo,
  hi - lo)``, while ``base`` is unchanged (as the runtime, one interval per base);
* ``nonnull`` — pointer locals proven not None (``if v is not None``);
* ``bounds`` — unsigned int locals proven ``< bound`` (``for i in range(N)``, ``if i < N``);
* ``pyint`` — int locals that may hold a plain Python ``int`` in a plain-Python run (a *may*
  fact: a join keeps the union; see :mod:`.ranges`).

``None`` stands for an unreachable point (after ``return``/``break``/``continue``); the meet
of two points is what holds on both (:func:`meet`). Assigning a local kills every fact about
it (:meth:`Facts.kill`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Facts:
    assigned: frozenset[str] = frozenset()
    pkt: tuple[tuple[str, int], ...] = ()
    dyn: tuple[tuple[tuple[str, str], tuple[int, int]], ...] = ()
    nonnull: frozenset[str] = frozenset()
    bounds: tuple[tuple[str, int], ...] = ()
    pyint: frozenset[str] = frozenset()
    _pkt: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    _dyn: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict, compare=False, repr=False)
    _bounds: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._pkt.update(self.pkt)
        self._dyn.update(self.dyn)
        self._bounds.update(self.bounds)

    # ---- queries ----------------------------------------------------------------------------

    def pkt_len(self, pkt: str) -> int:
        return self._pkt.get(pkt, 0)

    def interval(self, pkt: str, base: str) -> tuple[int, int] | None:
        return self._dyn.get((pkt, base))

    def covers(self, pkt: str, base: str, start: int, size: int) -> bool:
        """Whether bytes ``base + start .. base + start + size - 1`` are proven in bounds."""
        if not base and start >= 0 and start + size <= self.pkt_len(pkt):
            return True
        iv = self.interval(pkt, base)
        return iv is not None and iv[0] <= start and start + size <= iv[1]

    def bound(self, var: str) -> int | None:
        return self._bounds.get(var)


    # ---- updates (each returns a new value) -------------------------------------------------

    def assign(self, var: str) -> Facts:
        """``var`` gets a new value: it is assigned, and nothing proven about it holds."""
        return replace(self.kill(var), assigned=self.assigned | {var})

    def kill(self, var: str) -> Facts:
        return Facts(
            self.assigned,
            tuple((k, v) for k, v in self.pkt if k != var),
            tuple((k, v) for k, v in self.dyn if var not in k),
            self.nonnull - {var},
            tuple((k, v) for k, v in self.bounds if k != var),
            self.pyint,
        )

    def with_pkt(self, pkt: str, n: int) -> Facts:
        if n <= self.pkt_len(pkt):
            return self
        return replace(self, pkt=_put(self.pkt, pkt, n), _pkt={})

    def with_dyn(self, pkt: str, base: str, lo: int, hi: int) -> Facts:
        if self.covers(pkt, base, lo, hi - lo):
            return self
        if not base and lo == 0:
            return self.with_pkt(pkt, hi)
        return replace(self, dyn=_put(self.dyn, (pkt, base), (lo, hi)), _dyn={})

    def with_pyint(self, var: str, pyint: bool) -> Facts:
        return replace(self, pyint=(self.pyint | {var}) if pyint else (self.pyint - {var}))

    def kill_bound(self, var: str) -> Facts:
        return replace(self, bounds=tuple((k, v) for k, v in self.bounds if k != var),
                       _bounds={})

    def with_nonnull(self, var: str) -> Facts:
        return replace(self, nonnull=self.nonnull | {var})

    def with_bound(self, var: str, bound: int) -> Facts:
        old = self.bound(var)
        if old is not None and old <= bound:
            return self
        return replace(self, bounds=_put(self.bounds, var, bound), _bounds={})

    def both(self, other: Facts) -> Facts:
        """Conjunction: everything either side proves (both hold on this path)."""
        out = replace(self, assigned=self.assigned | other.assigned,
                      nonnull=self.nonnull | other.nonnull, pyint=self.pyint | other.pyint)
        for k, n in other.pkt:
            out = out.with_pkt(k, n)
        for (p, o), (lo, hi) in other.dyn:
            out = out.with_dyn(p, o, lo, hi)
        for k, b in other.bounds:
            out = out.with_bound(k, b)
        return out

    def describe(self) -> str:
        parts = [f"{p}.has({n})" for p, n in self.pkt]
        parts += [f"{p}.has_at({o or 0} + {lo}, {hi - lo})" for (p, o), (lo, hi) in self.dyn]
        parts += [f"{v} is not None" for v in sorted(self.nonnull)]
        parts += [f"{v} < {b}" for v, b in self.bounds]
        return ", ".join(parts) or "nothing"


def _put(items: tuple[tuple[Any, Any], ...], key: Any, value: Any) -> Any:
    out = [(k, v) for k, v in items if k != key]
    out.append((key, value))
    return tuple(sorted(out, key=lambda kv: repr(kv[0])))


def _intersect(a: tuple[int, int], b: tuple[int, int] | None) -> tuple[int, int] | None:
    if b is None:
        return None
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return (lo, hi) if lo < hi else None


Point = Facts | None  # None: unreachable


def meet(a: Point, b: Point) -> Point:
    """What holds at a join of two paths."""
    if a is None:
        return b
    if b is None:
        return a
    return Facts(
        a.assigned & b.assigned,
        tuple((k, min(n, b.pkt_len(k))) for k, n in a.pkt if b.pkt_len(k)),
        tuple((k, both) for k, iv in a.dyn if (both := _intersect(iv, b.interval(*k)))),
        a.nonnull & b.nonnull,
        tuple((k, max(n, bb)) for k, n in a.bounds if (bb := b.bound(k)) is not None),
        a.pyint | b.pyint,
    )


def meet_all(points: list[Point]) -> Point:
    out: Point = None
    for p in points:
        out = meet(out, p)
    return out
