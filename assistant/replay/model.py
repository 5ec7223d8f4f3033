"""What a scripted-dialogue file holds, once loaded: dialogues made of user, bot and new-session steps.

Every step remembers where it was written (``Where``: file and line), so a failure or a problem in
the file points at the line to look at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Union

# task statuses a `tasks:` assertion may name (assistant/state.py), with the spellings people write
STATUSES = ("active", "suspended", "awaiting_confirmation", "completed", "cancelled", "failed")
STATUS_ALIASES = {"awaiting confirmation": "awaiting_confirmation", "confirming": "awaiting_confirmation",
                  "canceled": "cancelled", "done": "completed"}
NO_TASK = "none"  # `tasks: {hotel: none}`: no task of that type at all
ANY_TASK = "*"  # `tasks: none` is read as {ANY_TASK: NO_TASK}: no task of any type

_REGEX = re.compile(r"^/(.*)/([imsx]*)$", re.DOTALL)
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


@dataclass(frozen=True)
class Where:
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


def slash_regex(value: Any) -> re.Pattern[str] | None:
    """``"/where.*from/i"`` as a compiled pattern; None for anything not written between slashes.
    Raises ``re.error`` for a bad pattern."""
    if not isinstance(value, str):
        return None
    match = _REGEX.match(value.strip())
    if match is None or not match[1]:
        return None
    flags = 0
    for letter in match[2]:
        flags |= _FLAGS[letter]
    return re.compile(match[1], flags)


@dataclass(frozen=True)
class UserStep:
    """The user says ``text`` (or a payload such as ``/affirm``); the optional assertions are checked
    on the parse and on the state after the turn."""

    text: str
    where: Where
    intent: str | tuple[str, ...] | None = None  # a tuple: the intents of the message's segments, in order
    entities: Mapping[str, Any] | None = None  # entity -> canonical value (a list: each of them)
    tasks: Mapping[str, Any] | None = None  # task type -> status, or a list of statuses (each task of the type)
    slots: Mapping[str, Any] | None = None  # slot -> value after the turn (null: not set)
    focus: str | None = None  # task type in focus after the turn ("none": nothing in focus)
    metadata: Mapping[str, Any] | None = None  # sent with the message
    raw: Any = None  # the step as written, for the failed-dialogues file

    @property
    def asserts(self) -> bool:
        return any(x is not None for x in (self.intent, self.entities, self.tasks, self.slots, self.focus))


@dataclass(frozen=True)
class BotStep:
    """One bot message of the preceding user turn has all of these (those given)."""

    where: Where
    response: str | None = None  # the response name (bot event metadata utter_action)
    text: str | None = None  # the exact text
    pattern: re.Pattern[str] | None = None  # a regex searched in the text
    recommends: Mapping[str, Any] | None = None  # {"kind": ..., "id"?: ..., "name"?: ..., "new"?: bool}
    raw: Any = None

    def describe(self) -> str:
        parts = []
        if self.response:
            parts.append(self.response)
        if self.text is not None:
            parts.append(f"text {self.text!r}")
        if self.pattern is not None:
            parts.append(f"text matching /{self.pattern.pattern}/")
        if self.recommends is not None:
            what = ", ".join(("not suggested before" if v else "suggested before") if k == "new" else f"{k} {v!r}"
                             for k, v in self.recommends.items())
            parts.append(f"a recommendation ({what})")
        return " with ".join(parts) if parts else "a message"


@dataclass(frozen=True)
class NewSession:
    """A fresh conversation for the same user (their profile stays)."""

    where: Where
    raw: Any = None


Step = Union[UserStep, BotStep, NewSession]


@dataclass(frozen=True)
class Dialogue:
    name: str
    steps: tuple[Step, ...]
    where: Where
    user: str | None = None  # None: a fresh user (and conversation) of its own
    session: int | None = None  # None: a new session of the user
    now: float | None = None  # the replay clock's start (a timestamp); None: the runner's default
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.where.path
