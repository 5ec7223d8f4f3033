"""Finding the separate requests in a message that asks for several things.

A message is cut into clauses at connectives ("and", "then", "also", commas,
sentence ends). Clauses that the model reads as confidently different intents
become segments; a clause it is unsure about joins the segment before it, so
"a table for 4, at 7pm" stays one request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BOUNDARY = re.compile(
    r"(?:[.;!?]+\s+|,\s*(?:and\s+(?:then\s+|also\s+)?|then\s+|also\s+|but\s+|plus\s+)?"
    r"|\s+(?:and\s+then|and\s+also|and|then|also|plus|after\s+that|as\s+well\s+as)\s+)",
    re.IGNORECASE,
)
MIN_CLAUSE_WORDS = 2


@dataclass(frozen=True)
class Clause:
    start: int
    end: int
    text: str


def split_clauses(text: str) -> list[Clause]:
    """Clauses of ``text`` by char offsets, connectives left out; one clause when there is nothing to split."""
    clauses: list[Clause] = []
    pos = 0
    for m in _BOUNDARY.finditer(text):
        _add(clauses, text, pos, m.start())
        pos = m.end()
    _add(clauses, text, pos, len(text))
    # a clause too short to be a request ("and you?") is glued to its neighbour
    merged: list[Clause] = []
    for c in clauses:
        if merged and len(c.text.split()) < MIN_CLAUSE_WORDS:
            prev = merged.pop()
            merged.append(Clause(prev.start, c.end, text[prev.start : c.end]))
        else:
            merged.append(c)
    if len(merged) > 1 and len(merged[0].text.split()) < MIN_CLAUSE_WORDS:
        first, second = merged[0], merged[1]
        merged[:2] = [Clause(first.start, second.end, text[first.start : second.end])]
    return merged


def _add(clauses: list[Clause], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip(" \t\n\r.,;!?")
    if not stripped:
        return
    offset = start + piece.index(stripped)
    clauses.append(Clause(offset, offset + len(stripped), stripped))


def group_clauses(
    clauses: list[Clause], intents: list[tuple[str, float]], min_confidence: float
) -> list[tuple[Clause, str, float, list[int]]]:
    """Join clauses into requests: a new request starts at a confident clause with a new intent.

    Each request is (span, intent, confidence, indices of its clauses).
    """
    groups: list[list] = []
    for index, (clause, (intent, conf)) in enumerate(zip(clauses, intents)):
        if groups and (conf < min_confidence or intent == groups[-1][1]):
            start = groups[-1][0]
            groups[-1][0] = Clause(start.start, clause.end, "")
            groups[-1][3].append(index)
            continue
        groups.append([clause, intent, conf, [index]])
    return [(c, i, p, members) for c, i, p, members in groups]
