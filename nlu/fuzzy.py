"""Typo-tolerant matching against a closed set of words ("wendesday" -> "wednesday", "nrth" -> "north").

Only a single clear winner counts: the text must be long enough for its typos to be told apart from
other words (four letters for one typo, eight for two), and no other candidate may be as close
("est" is as near "east" as "west", so it is neither).
"""

from __future__ import annotations

from typing import Iterable


def typo_distance(a: str, b: str, limit: int = 2) -> int:
    """Edits between ``a`` and ``b`` (insert, delete, substitute, swap two neighbours: the optimal
    string alignment distance); anything above ``limit`` is reported as ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if before is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


def allowed_typos(text: str) -> int:
    """How many typos a word of this length may carry and still be recognised."""
    n = len(text)
    return 0 if n < 4 else 1 if n < 8 else 2


def closest(text: str, candidates: Iterable[str]) -> str | None:
    """The one candidate ``text`` is a misspelling of (case-insensitive), or None: none is near
    enough, or two are equally near. An exact match is returned as it is among the candidates."""
    key = text.strip().lower()
    limit = allowed_typos(key)
    best: str | None = None
    best_distance = limit + 1
    tied = False
    for candidate in dict.fromkeys(candidates):
        distance = typo_distance(key, candidate.lower(), max(limit, 0))
        if distance == 0:
            return candidate
        if distance < best_distance:
            best, best_distance, tied = candidate, distance, False
        elif distance == best_distance:
            tied = tied or (best is not None and best.lower() != candidate.lower())
    if limit == 0 or best is None or tied or best_distance > limit:
        return None
    return best
