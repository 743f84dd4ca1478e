"""Dominators of the ownership graph, used only when it has cycles.

Node D dominates node P when every chain from the root to P passes through D.
For the canonical search from X this answers "can parent P be reached without
passing through X?" in O(1): exactly when X does not dominate P. That lets a
back reference (a child holding its parent, assigned before the parent was
attached) be skipped without a search. Computed with the iterative algorithm of
Cooper, Harvey and Kennedy ("A Simple, Fast Dominance Algorithm", 2001).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rc_naming._ownership import InEdge

__all__ = ["Dominance"]


class Dominance:
    """Dominator tree of the nodes reachable from ``rid``, as preorder intervals."""

    def __init__(
        self,
        rid: int,
        out: list[dict[str, tuple[int, int]] | None],
        inn: list[list[InEdge] | None],
    ) -> None:
        n = len(out)
        # Postorder numbers of a depth-first walk over child edges; -1: unreachable.
        post = [-1] * n
        visited = bytearray(n)
        visited[rid] = 1
        order: list[int] = []
        stack = [(rid, iter((out[rid] or {}).values()))]
        while stack:
            node, it = stack[-1]
            for child, _ in it:
                if not visited[child]:
                    visited[child] = 1
                    stack.append((child, iter((out[child] or {}).values())))
                    break
            else:
                stack.pop()
                post[node] = len(order)
                order.append(node)
        rpo = order[::-1]
        idom = [-1] * n
        idom[rid] = rid
        changed = True
        while changed:
            changed = False
            for b in rpo[1:]:
                new = -1
                for p, _, _ in inn[b] or ():
                    if idom[p] == -1 or p == b:
                        continue
                    if new == -1:
                        new = p
                        continue
                    a = p
                    while a != new:
                        while post[a] < post[new]:
                            a = idom[a]
                        while post[new] < post[a]:
                            new = idom[new]
                if idom[b] != new:
                    idom[b] = new
                    changed = True
        kids: list[list[int]] = [[] for _ in range(n)]
        for b in rpo[1:]:
            kids[idom[b]].append(b)
        self.reachable = visited
        self._enter = [-1] * n
        self._leave = [-1] * n
        clock = 0
        walk = [(rid, iter(kids[rid]))]
        self._enter[rid] = clock
        while walk:
            top, kid_iter = walk[-1]
            nxt = next(kid_iter, None)
            if nxt is None:
                walk.pop()
                clock += 1
                self._leave[top] = clock
            else:
                clock += 1
                self._enter[nxt] = clock
                walk.append((nxt, iter(kids[nxt])))

    def dominates(self, d: int, p: int) -> bool:
        """Whether every chain from the root to ``p`` passes through ``d``."""
        enter, leave = self._enter, self._leave
        return enter[d] >= 0 and enter[d] <= enter[p] and leave[p] <= leave[d]
