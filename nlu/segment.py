"""Finding the separate requests in a message that asks for several things.

A message is cut into clauses at connectives ("and", "then", "also", commas,
sentence ends). Clauses that the model reads as confidently different intents
become segments; a clause it is unsure about joins the segment before it, so
"a table for 4, at 7pm" stays one request.

Two kinds of words look like connectives without being ones: "also" inside a
clause ("I also need a train": after its subject or an auxiliary) does not
cut it, and a lead-in that asks for nothing ("hang on", "by the way") belongs
to the request after it.
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
# a word before a value that makes a request of its own ("book [Curry Garden]", "then [the north]"),
# not a modifier of the value ("old [churches]", "spicy [thai] food")
_REQUEST_WORDS = frozenset("book find get need want also then and or please try show give reserve".split())
# "also" right after one of these is inside a clause: "I also need", "we'd also like", "could also"
_SUBJECT_OR_AUXILIARY = frozenset(
    "i we you they he she i'd we'd you'd they'd i'll we'll you'll they'll i'm we're you're they're"
    " i've we've you've they've would will could can might may should shall must do does did"
    " am is are was were".split()
)
_LAST_WORD = re.compile(r"([\w']+)\W*$")
# a clause that only leads in to what follows; it asks for nothing of its own
_LEAD_IN = re.compile(
    r"(?:oh|ok|okay|and|but|no|right|well|so)?[\s,]*"
    r"(?:hang on|hold on|wait(?: a (?:sec|second|minute|moment|mo))?|just a (?:sec|second|minute|moment|mo)"
    r"|one (?:more|last|other) thing|by the way|btw|before i forget|come to think of it|on second thoughts?"
    r"|oh wait|actually|sorry|oops|hmm+|um+|erm+|uh+)",
    re.IGNORECASE,
)


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
        if _inside_clause(text, m):
            continue
        _add(clauses, text, pos, m.start())
        pos = m.end()
    _add(clauses, text, pos, len(text))
    # "hang on, I also need a train": the lead-in belongs to the request it introduces
    for i in range(len(clauses) - 2, -1, -1):
        if _LEAD_IN.fullmatch(clauses[i].text):
            first, second = clauses[i], clauses[i + 1]
            clauses[i : i + 2] = [Clause(first.start, second.end, text[first.start : second.end])]
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


# "the same area and price range as the hotel": "and" joins two things compared, inside one request
_SAME_BEFORE = re.compile(r"\bsame(?:\s+[\w-]+){1,3}\s*$", re.IGNORECASE)
_COMPARED_AFTER = re.compile(
    r"(?:the\s+same\s+)?[\w-]+(?:\s+[\w-]+){0,2}\s+as\s+(?:the|my|your|our|that|this|before)\b", re.IGNORECASE)


def _inside_clause(text: str, boundary: re.Match[str]) -> bool:
    """A bare "also" after a subject or an auxiliary ("I also need") is no connective, nor an "and"
    between two things said to be the same as something ("same area and price range as ...")."""
    word = boundary.group().strip(" ,").lower()
    if word == "and" and _SAME_BEFORE.search(text, 0, boundary.start()) \
            and _COMPARED_AFTER.match(text, boundary.end()):
        return True
    if boundary.group().strip().lower() != "also":
        return False
    before = _LAST_WORD.search(text, 0, boundary.start())
    return before is not None and before.group(1).lower().replace("\u2019", "'") in _SUBJECT_OR_AUXILIARY


def _add(clauses: list[Clause], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip(" \t\n\r.,;!?")
    if not stripped:
        return
    offset = start + piece.index(stripped)
    clauses.append(Clause(offset, offset + len(stripped), stripped))


def continues_list(clause: Clause, entity_types: list[tuple[int, str]], previous_types: set[str]) -> bool:
    """A clause that only adds one more value to a list the clause before it began ("I love indian
    and [thai food]", "in the north or [the centre]", "museums and old [churches]"): at most three
    words, opening with a value (after an article or one modifier) of a type the clause before it
    has. ``entity_types`` are (start offset within the clause, type) of the clause's own entities."""
    words = clause.text.split()
    if not entity_types or len(words) > 3:
        return False
    first_word_ends = len(words[0]) + 1
    lead = words[0].lower()
    opens = min(start for start, _ in entity_types) <= (first_word_ends if lead not in _REQUEST_WORDS else 0)
    return opens and all(kind in previous_types for _, kind in entity_types)


def group_clauses(
    clauses: list[Clause], intents: list[tuple[str, float]], min_confidence: float,
    continuing: list[bool] | None = None, valueless: list[bool] | None = None,
) -> list[tuple[Clause, str, float, list[int]]]:
    """Join clauses into requests: a new request starts at a confident clause with a new intent,
    unless it only continues a list of values (``continuing``). An unconfident opening without any
    value (``valueless``: "never mind, cancel that", "well, ...") leads into the first confident
    clause: it is that request's preamble, not a request of its own. An opening that names values
    ("a hotel in the north for 3 nights, and a train ...") stays a request, however unsure its intent.

    Each request is (span, intent, confidence, indices of its clauses).
    """
    groups: list[list] = []
    for index, (clause, (intent, conf)) in enumerate(zip(clauses, intents)):
        joins = continuing is not None and continuing[index]
        opening_is_preamble = (len(groups) == 1 and valueless is not None and all(valueless[k] for k in groups[0][3])
                               and groups[0][2] < min_confidence <= conf and not joins)
        if opening_is_preamble:
            opening = groups.pop()
            groups.append([Clause(opening[0].start, clause.end, ""), intent, conf, opening[3] + [index]])
            continue
        if groups and (conf < min_confidence or intent == groups[-1][1] or joins):
            start = groups[-1][0]
            groups[-1][0] = Clause(start.start, clause.end, "")
            groups[-1][3].append(index)
            continue
        groups.append([clause, intent, conf, [index]])
    return [(c, i, p, members) for c, i, p, members in groups]
