"""Parse objects built by hand, as the NLU would give them, and a scripted conversation driver.

    said("a table for 4", "book_restaurant", restaurant_bookpeople=4)
    said("at 7pm", "inform", restaurant_booktime=("19:00", "7pm"))   # (canonical value, words in the text)
    several("a taxi and a table", said(...), said(...))             # a message with segments

Entity keyword names use ``_`` for ``-``; an entity's span is where its words occur in the text.
"""

from __future__ import annotations

import random
import re
from datetime import datetime
from typing import Any

from assistant.dialogue import DialogueManager
from assistant.state import DialogueState
from nlu.types import IntentPrediction, Parse, ParsedEntity, Segment

# Friday 2 May 2025, 12:00 local time: "today" for urgency, a weekday for days
START = datetime(2025, 5, 2, 12, 0).timestamp()


class Clock:
    """Deterministic time: starts at ``START``, one second per reading."""

    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def said(text: str, intent: str | None, confidence: float = 0.95, *, ranking: list[tuple[str, float]] | None = None,
         **entities: Any) -> Parse:
    parsed = []
    for key, spec in entities.items():
        value, words = spec if isinstance(spec, tuple) else (spec, str(spec))
        match = re.search(re.escape(words), text, re.IGNORECASE)
        start, end = (match.start(), match.end()) if match else (0, 0)
        parsed.append(ParsedEntity(key.replace("_", "-"), value, start, end, 0.99, "test", words))
    top = IntentPrediction(intent, confidence)  # type: ignore[arg-type]
    rest = [IntentPrediction(name, conf) for name, conf in (ranking or [])]
    return Parse(text, top, [top, *rest] if intent is not None else [], parsed)


def several(text: str, *parts: Parse) -> Parse:
    """One message asking for several things; each part is a segment (found in ``text``)."""
    segments, entities = [], []
    for part in parts:
        offset = text.lower().find(part.text.lower())
        offset = max(offset, 0)
        shifted = [ParsedEntity(e.entity, e.value, e.start + offset, e.end + offset, e.confidence, e.extractor, e.text)
                   for e in part.entities]
        segments.append(Segment(part.text, offset, offset + len(part.text), part.intent, shifted))
        entities += shifted
    top = parts[0].intent
    return Parse(text, top, [top], entities, segments)


class ScriptedParser:
    """Reads each message from a table of hand-made parses (the real model is tested elsewhere)."""

    def __init__(self, *parses: Parse) -> None:
        self.table = {p.text: p for p in parses}

    def add(self, *parses: Parse) -> "ScriptedParser":
        self.table.update((p.text, p) for p in parses)
        return self

    def parse(self, text: str) -> Parse:
        return self.table.get(text) or said(text, None, 0.0)


class Chat:
    """Drives a DialogueManager turn by turn, keeping the state and every event."""

    def __init__(self, dm: DialogueManager, sender: str = "alice") -> None:
        self.dm = dm
        self.state = DialogueState(sender)
        self.events: list[dict] = []
        self.last_events: list[dict] = []

    def __call__(self, parse: Parse) -> list[str]:
        events, messages = self.dm.handle(self.state, parse)
        self.last_events = events
        self.events += events
        return [m.text or "" for m in messages]

    def responses(self) -> list[str | None]:
        """The domain responses the bot used in the last turn (None for an action's own text)."""
        return [e["metadata"].get("utter_action") for e in self.last_events if e["event"] == "bot"]

    def last(self, kind: str) -> list[dict]:
        return [e for e in self.last_events if e["event"] == kind]

    def task(self, task_type: str):
        return self.state.task_of_type(task_type, open_only=False)

    @property
    def focus(self) -> str | None:
        return self.state.focus


def dm_for(domain, runner, **options: Any) -> DialogueManager:
    options.setdefault("rng", random.Random(7))
    options.setdefault("clock", Clock())
    return DialogueManager(domain, runner, **options)
