"""How `RedisStore` reads: the reads of one batch side by side, and a namespace paged by score.

`gather` is not specific to the store: it could move to `_exec` beside the drivers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from plantbrain.state._exec import Batch, Plan


def gather(plans: Sequence[Plan[Any]]) -> Plan[list[Any]]:
    """Run read plans side by side: the batches they yield together travel as one batch."""
    results: list[Any] = [None] * len(plans)
    waiting: dict[int, Batch] = {}

    def advance(i: int, replies: list[Any] | None) -> None:
        try:
            step = next(plans[i]) if replies is None else plans[i].send(replies)
        except StopIteration as stop:
            results[i] = stop.value
            return
        if not isinstance(step, Batch) or step.atomic:
            raise TypeError("gather() runs plans of plain batches only (no Emit, nothing atomic)")
        waiting[i] = step

    for i in range(len(plans)):
        advance(i, None)
    while waiting:
        current = list(waiting.items())
        waiting.clear()
        replies = yield Batch(
            [cmd for _, b in current for cmd in b.cmds], side=[cmd for _, b in current for cmd in b.side]
        )
        pos = 0
        for i, b in current:
            advance(i, replies[pos : pos + len(b.cmds)])
            pos += len(b.cmds)
    return results


@dataclass(slots=True)
class Stream:
    """One namespace's index, read in pages during a search: lowest score (newest item) first."""

    namespace: tuple[str, ...]
    text: str
    rows: deque[tuple[float, str, list[bytes | None]]] = field(default_factory=deque)
    low: str = "-inf"
    """Next page starts at this score (inclusive)..."""
    skip: int = 0
    """...after this many entries with exactly that score, already read."""
    done: bool = False
    dead: list[str] = field(default_factory=list)

    def head(self) -> tuple[float, tuple[str, ...]]:
        """Merge order: newest first, then namespace (within a namespace, Redis orders ties by key)."""
        return self.rows[0][0], self.namespace

    def load(self, reply: list[Any], count: int) -> bool:
        """Take a page of `PAGE` replies; whether it held any entry."""
        page = [(reply[i].decode(), reply[i + 1].decode(), reply[i + 2]) for i in range(0, len(reply), 3)]
        self.done = len(page) < count
        if not page:
            return False
        self.rows.extend((float(score), key, fields) for key, score, fields in page)
        last = page[-1][1]
        same = sum(1 for _, score, _ in page if score == last)
        self.skip = self.skip + same if last == self.low else same
        self.low = last
        return True
