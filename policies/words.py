"""How slot values read inside a sentence: "from the train station", "on Friday". Pure; used by the
NLG (assistant/nlg.py) for template values and by the policies that word things themselves."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from policies.clock_time import WEEKDAYS

# a place named by what it is, not by its name: "train station", "hotel", "the museum"
_COMMON_PLACE = re.compile(
    r"^(?:[a-z]+ )*(?:station|airport|hotel|restaurant|museum|college|cinema|theatre|park|gallery|centre|"
    r"market|church|cathedral|hospital|university|zoo|guesthouse|attraction|port|harbour)$")


#: slot kinds whose values are places
PLACE_KINDS = frozenset({"name", "origin", "destination"})


def slot_words(kind: str | None, value: Any) -> Any:
    """A slot value as said, by the slot's kind: a place with its article, a day capitalised."""
    if kind in PLACE_KINDS:
        return place_words(value)
    if kind == "day":
        return day_words(value)
    return value


_SMALL_WORDS = frozenset({"of", "and", "the", "upon", "on", "in", "at", "by"})
# where someone is rather than a place's name
_NO_NAMES = frozenset({"home", "work", "here", "there", "office", "my place"})


def place_name(name: str) -> str:
    """A name as written: "london kings cross" -> "London Kings Cross"; one with capitals as it is."""
    if name != name.lower():
        return name
    words = name.split()
    return " ".join(w if i and w in _SMALL_WORDS else w[:1].upper() + w[1:] for i, w in enumerate(words))


def place_words(value: Any) -> Any:
    """ "train station" -> "the train station"; names as written ("london" -> "London"); "my office" as said."""
    if not isinstance(value, str) or value != value.lower() or value.startswith(("my ", "our ", "your ")) \
            or value.strip() in _NO_NAMES:
        return value
    if _COMMON_PLACE.match(value.strip()):
        return value if value.startswith(("the ", "a ", "an ")) else f"the {value.strip()}"
    return place_name(value)


def day_words(value: Any) -> Any:
    """A day slot as said: "friday" -> "Friday", "2025-05-02" -> "Friday 2 May"; anything else as it is."""
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in WEEKDAYS:
        return text.title()
    try:
        day = date.fromisoformat(text) if text and len(text) == 10 else None
    except ValueError:
        day = None
    return f"{day:%A} {day.day} {day:%B}" if day is not None else value


def join_words(items: list[str], word: str = "and") -> str:
    """ "a, b and c" (``word``: "or" for a choice)."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} " + items[-1]
