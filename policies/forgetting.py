""" "Forget that I'm vegetarian", "forget my budget", "scratch that" after "I love Thai food": a request
to erase one thing the profile holds, told apart from a cancellation ("forget the hotel") and from
"forget me" (everything, asked first).

Pure: the words and entities of a message in, what to forget out. The profile's own rule
(:func:`assistant.profile.updates.forget_values`) does the erasing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Iterable

from assistant.profile.updates import FORGETTABLE, forgettable_entity
from policies import cues
from policies.index import index

if TYPE_CHECKING:
    from assistant.domain import Domain
    from assistant.state import DialogueState

# "don't forget I'm vegetarian" is the opposite: a reminder
FORGET = re.compile(r"(?<!n't )(?<!not )(?<!never )\b(?:forget|(?:stop|don'?t|do not) remember(?:ing)?|erase|delete"
                    r"|wipe|unlearn)\b|\b(?:remove|take|drop)\b(?=.*\b(?:from|off|out of) (?:my|the|your) "
                    r"(?:profile|preferences|list|notes|memory)\b)", re.IGNORECASE)
# words that make the clause about the user ("that I like", "my diet"), not about a task's search
_ABOUT_ME = re.compile(r"\b(?:i|i'?m|i'?d|i'?ve|we|we'?re|my|our|me|us)\b", re.IGNORECASE)
# "forget that" / "scratch what I just said": the statement just before
_THAT_ONLY = re.compile(r"^\W*(?:(?:oh|ok(?:ay)?|actually|sorry|no|wait|hmm|please|um)\W+)*"
                        r"(?:forget|scratch|ignore|disregard) (?:that|what i (?:just )?said|i said that)"
                        r"(?:\W+please)?\W*$", re.IGNORECASE)
# where the clause of the cue ends: what follows is another request ("..., and find me a pub")
_CLAUSE_END = re.compile(r"[.;!?]|\bbut\b|(?:,\s*|\s+and\s+)(?:and\s+|then\s+)?(?:can|could|please|find|book|get|show"
                         r"|look|search|suggest|recommend|now|also|i'?d|i want|i need)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Forgetting:
    """What one message asks to forget: entities (values) and kinds named without one ("my diet")."""

    entities: tuple[Any, ...]
    named: tuple[str, ...]
    start: int  # where the request to forget begins in the text (-1: it is the statement before)
    end: int


def what_to_forget(text: str | None, entities: Iterable[Any], domain: Domain,
                   before: tuple[str, Iterable[Any]] | None = None, ends: Iterable[int] = ()) -> Forgetting | None:
    """What the message asks to forget, or None when it asks for something else.

    ``before``: the user's previous statement about themselves (its text and entities), which a
    bare "forget that" erases. A task named with nothing about the user ("forget the cheap hotel")
    is a cancellation; so is a message with nothing the profile could hold ("forget the taxi").
    ``ends``: where the message's segments end (the request to forget ends with its own)."""
    text = text or ""
    cue = FORGET.search(text)
    if cue is None:
        return None
    if _THAT_ONLY.search(text):
        if before is None:
            return None
        said, said_entities = before
        kept = tuple(e for e in said_entities if forgettable_entity(e.entity))
        return Forgetting(kept, (), -1, -1) if kept else None
    stop = _CLAUSE_END.search(text, cue.end())
    end = min([stop.start() if stop is not None else len(text), *(e for e in ends if e > cue.start())])
    clause = text[cue.start():end]
    kept = tuple(e for e in entities
                 if forgettable_entity(e.entity) and isinstance(e.start, int) and cue.start() <= e.start < end)
    named = tuple(dict.fromkeys(kind for word, kind in FORGETTABLE.items()
                                if re.search(rf"\b{re.escape(word)}\b", clause, re.IGNORECASE)))
    if not kept and not named:
        return None
    in_clause = [SimpleNamespace(start=e.start - cue.start(), end=e.end - cue.start()) for e in kept]
    if cues.named_tasks(clause, domain, in_clause) and not _ABOUT_ME.search(clause) and not named:
        return None  # "forget the cheap hotel": the hotel goes
    return Forgetting(kept, named, cue.start(), end)


def slots_to_clear(state: DialogueState, domain: Domain, forgetting: Forgetting) -> list[str]:
    """The conversation's profile slots (diet, feature) that hold a value being forgotten."""
    idx = index(domain)
    out = []
    for slot in sorted(idx.profile_slots):
        held = state.slots.get(slot)
        if held is None:
            continue
        values = {str(v).lower() for v in (held if isinstance(held, (list, tuple, set)) else [held])}
        named = domain.slots[slot].kind in forgetting.named
        said = any(idx.entity_slot.get(e.entity) == slot and str(e.value).lower() in values
                   for e in forgetting.entities)
        if named or said:
            out.append(slot)
    return out
