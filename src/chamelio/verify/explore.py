"""Path-sensitive exploration with state pruning, and the worst-case cost.

The explorer runs the abstract machine depth-first from the entry. A *node* is a state at a
prune point (a jump target or the fall-through of a conditional jump); from it one
*segment* of straight-line abstract execution runs to the next prune point, a two-way
branch or the program's exit. A node's cost is its segment's cost (1 per instruction plus
each helper's worst cost) plus the largest cost of its successors, so the entry node's
cost is the worst case over all paths.

Pruning: every node is remembered at its pc. A new state covered by a remembered node that
is finished takes that node's cost (every execution from it is one from the old state). A
new state covered by a node that is still being explored, i.e. an ancestor on the current
path, is a loop that makes no progress: it is rejected. Loops are thereby unrolled, every
iteration counted, and a program whose current path already costs more than the budget is
rejected as soon as that is known. A complexity limit bounds the work.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from chamelio.verify.cfg import Cfg
from chamelio.verify.checks import Env, Unsafe
from chamelio.verify.report import Stats
from chamelio.verify.state import NO_FRAMES, State, shapes_fit
from chamelio.verify.transfer import EXIT, Machine

Successors = list[tuple[int, State]]
PRUNE_WINDOW = 64  # finished states compared at one pc (the most recent ones)


class Node:
    __slots__ = ("best", "child", "done", "key", "pc", "pending", "seg", "shape", "state", "total")

    def __init__(self, pc: int, state: State, key: object = None) -> None:
        self.pc = pc
        self.shape = state.shape()
        self.key = key  # the state's key while the node is on the path
        self.state = state  # the state at the node's start (never mutated)
        self.seg = 0
        self.best = 0  # the largest cost of a successor
        self.child: Node | None = None  # the successor with that cost
        self.pending: Successors = []
        self.done = False
        self.total = 0


@dataclass(frozen=True, slots=True)
class Failure(Exception):
    """Exploration stopped: ``pc`` and the state just before it, why, and the path."""

    pc: int
    message: str
    hint: str
    state: State | None
    path: list[int]
    cost: int | None = None  # a budget failure: the cost of the path found


class Explorer:
    def __init__(self, env: Env, cfg: Cfg, budget: int, max_insns: int) -> None:
        self.env = env
        self.cfg = cfg
        self.budget = budget
        self.max_insns = max_insns
        self.machine = Machine(env, cfg)
        # pc -> exact-register mask -> their values -> finished nodes (see State.exact)
        self.seen: dict[int, dict[int, dict[tuple[object, ...], list[Node]]]] = {}
        self.stats = Stats(slots=len(cfg.insns))
        self.stack: list[Node] = []
        self.on_path: dict[int, dict[object, int]] = {}  # pc -> keys of nodes on the path
        self.hints: dict[int, int] = {}  # pc -> the register that last failed a cover test

    # ------------------------------------------------------------------ public
    def run(self, entry: State) -> tuple[int, list[int]]:
        """The worst-case cost and the start pcs of the nodes on the worst path."""
        root = Node(0, entry.copy(), entry.key())
        self.stats.states += 1
        self._expand(root)
        stack = self.stack
        self._push(root)
        path_cost = root.seg
        self._check_budget(path_cost, None)
        while stack:
            node = stack[-1]
            if node.pending:
                pc, state = node.pending.pop()
                child = self._child(pc, state)
                if child.done:
                    self.stats.pruned += 1
                    self._consider(node, child)
                    self._check_budget(path_cost + child.total, child)
                    continue
                self._expand(child)
                self._push(child)
                path_cost += child.seg
                self._check_budget(path_cost, None)
                continue
            node.total = node.seg + node.best
            node.done = True
            node.pending = []
            self._pop()
            path_cost -= node.seg
            if stack:
                self._consider(stack[-1], node)
        return root.total, self._chain(root)

    # --------------------------------------------------------------- internals
    def _push(self, node: Node) -> None:
        self.stack.append(node)
        keys = self.on_path.setdefault(node.pc, {})
        keys[node.key] = keys.get(node.key, 0) + 1

    def _pop(self) -> None:
        node = self.stack.pop()
        # finished: it may prune from now on
        mask, prints = node.state.exact()
        key = tuple(prints[r] for r in range(11) if mask >> r & 1)
        self.seen.setdefault(node.pc, {}).setdefault(mask, {}).setdefault(key, []).append(node)
        keys = self.on_path[node.pc]
        if keys[node.key] == 1:
            del keys[node.key]
        else:
            keys[node.key] -= 1
        node.key = None

    @staticmethod
    def _consider(parent: Node, child: Node) -> None:
        if parent.child is None or child.total > parent.best:
            parent.best = child.total
            parent.child = child

    @staticmethod
    def _chain(node: Node | None) -> list[int]:
        out: list[int] = []
        while node is not None:
            out.append(node.pc)
            node = node.child
        return out

    def _path(self) -> list[int]:
        return [n.pc for n in self.stack]

    def _check_budget(self, cost: int, tail: Node | None) -> None:
        if cost <= self.budget:
            return
        path = self._path() + self._chain(tail)
        head = self.stack[-1]
        hint = ("shorten the longest path (fewer loop iterations, fewer or smaller helper "
                "calls) or raise the budget")  # fmt: skip
        counts = Counter(path)
        pc, times = counts.most_common(1)[0]
        if times > 2:
            hint = (f"the loop at pc {pc} runs at least {times - 1} times on this path: bound its "
                    "trip count more tightly (or raise the budget)")  # fmt: skip
        raise Failure(head.pc, f"worst-case cost exceeds the budget: a path costs at least {cost}, "
                      f"the budget is {self.budget}", hint, None, path, cost)  # fmt: skip

    def _clean(self, pc: int, state: State) -> None:
        live = self.cfg.live
        frames = state.frames
        state.clean(live[pc], [live[f.callsite + 1] for f in frames[1:]])


    def _child(self, pc: int, state: State) -> Node:
        """The node for ``state`` at ``pc``: a finished node that covers it (pruned), or a
        new one. A state equal to one of its ancestors loops forever: rejected. A state
        merely covered by an ancestor is a loop iteration: explored (the budget and the
        complexity limit end loops that do not terminate)."""
        self._clean(pc, state)
        key = state.key()
        if key in self.on_path.get(pc, ()):
            raise Failure(pc, "infinite loop: the state at this instruction repeats exactly, so "
                          "the loop never terminates", "make the loop's exit condition depend on "
                          "a counter that changes every iteration", state, [*self._path(), pc])
        groups = self.seen.get(pc)
        if groups:
            shape = state.shape()
            hint = self.hints.get(pc, 0)
            new_mask, prints = state.exact()
            for mask, buckets in groups.items():
                if mask & ~new_mask:
                    continue
                olds = buckets.get(tuple(prints[r] for r in range(11) if mask >> r & 1))
                if not olds:
                    continue
                for old in olds[-1 : -PRUNE_WINDOW - 1 : -1]:
                    if not shapes_fit(old.shape, shape):
                        continue
                    failed = old.state.mismatch(state, hint)
                    if failed < 0:
                        self.hints[pc] = hint
                        return old
                    if failed != NO_FRAMES:
                        hint = failed
            self.hints[pc] = hint
        node = Node(pc, state, key)
        self.stats.states += 1
        return node

    def _expand(self, node: Node) -> None:
        """Run the node's segment from a copy of its state; record cost and successors."""
        state = node.state.copy()
        pc = node.pc
        machine = self.machine
        prune = self.cfg.prune
        stats = self.stats
        cost = 0
        try:
            while True:
                stats.insns_processed += 1
                if stats.insns_processed > self.max_insns:
                    raise Failure(pc, f"the program is too complex to verify (more than "
                                  f"{self.max_insns} instructions processed)", "simplify the "
                                  "control flow or bound loops more tightly", None,
                                  [*self._path(), node.pc, pc])  # fmt: skip
                nxt = machine.step(pc, state)
                cost += 1 + machine.extra
                if nxt >= 0:
                    if prune[nxt]:
                        node.pending = [(nxt, state)]
                        break
                    pc = nxt
                    continue
                if nxt == EXIT:
                    break
                node.pending = machine.branches
                break
        except Unsafe as exc:
            path = [*self._path(), node.pc]
            if pc != node.pc:
                path.append(pc)
            raise Failure(pc, exc.message, exc.hint, self._state_before(node, pc), path) from None
        if len(state.frames) > stats.max_frames:
            stats.max_frames = len(state.frames)
        node.seg = cost
        # explore the fall-through side first: pending is popped from the end
        node.pending.reverse()

    def _state_before(self, node: Node, fail_pc: int) -> State | None:
        """Re-run the node's segment up to ``fail_pc`` for the report's register state."""
        state = node.state.copy()
        pc = node.pc
        try:
            for _ in range(len(self.cfg.insns) + 1):
                if pc == fail_pc:
                    return state
                nxt = self.machine.step(pc, state)
                if nxt < 0:
                    return None
                pc = nxt
        except Unsafe:
            return state if pc == fail_pc else None
        return None
