"""What every policy reads besides the state: settings, the turn's clock, the requests of a message,
and the question the bot asked last.

A *request* is one thing the user asked for: the whole parse, or one segment of a message that asks
for several things. Policies decide per request.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping


from assistant import events as ev
from policies.index import index

if TYPE_CHECKING:
    from assistant.domain import Domain
    from assistant.state import DialogueState
    from nlu.types import Parse


@dataclass(frozen=True)
class PolicyConfig:
    """Settings of the dialogue policies; ``policies:`` in the assistant's ``config.yml`` overrides them."""

    fallback_threshold: float = 0.5  # top intent below this: ask or say what we can do
    ambiguity_margin: float = 0.1  # top two closer than this: ask which one
    option_floor: float = 0.2  # an intent below this is not offered as an option
    stale_after_turns: int = 4  # a suspended task idle this long is brought back once
    expire_after_turns: int = 4  # ... and dropped when still untouched this long after the reminder
    clash_minutes: int = 60  # two timed plans closer than this collide
    taxi_margin_minutes: int = 15  # a taxi to a booking should arrive this much before it
    urgency_boost: int = 100  # added to the priority of an urgent request ("now", "asap", a near time)
    near_minutes: int = 60  # a time within this much from now is urgent

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None, where: str = "policies") -> PolicyConfig:
        values = dict(values or {})
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"{where}: unknown policy setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
        out: dict[str, Any] = {}
        for name, value in values.items():
            kind = float if isinstance(getattr(cls, name), float) else int
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{where}: {name} must be a number, not {value!r}")
            out[name] = kind(value)
        return cls(**out)


@dataclass(frozen=True)
class Pending:
    """The question the bot asked last, read back from its bot event's metadata."""

    expects: str  # slot, confirm, offer, retry, conflict, which_task, anything_else
    task_id: str | None = None
    conflict: Mapping[str, Any] | None = None  # {"kind", "task_ids"} when expects == "conflict"
    recommendation: Mapping[str, Any] | None = None  # the item suggested, when expects == "suggestion"


@dataclass(frozen=True)
class TurnContext:
    config: PolicyConfig
    now: datetime  # the turn's wall-clock time (urgency: "a near time")
    pending: Pending | None = None
    # (kind, name, diet) -> True when the catalogue says the place of that name cannot serve the diet
    diet_clash: Callable[[str, Any, str], bool] | None = None
    # a place's name ("the station") -> the area it is in, when the catalogue knows it
    landmark_area: Callable[[str, Iterable[str]], str | None] | None = None


@dataclass(frozen=True)
class Request:
    """One request of a message: the whole parse, or one of its segments."""

    text: str
    intent: str | None
    confidence: float
    entities: tuple[Any, ...]  # nlu.types.ParsedEntity
    index: int = 0  # position in the message

    @classmethod
    def from_parse(cls, parse: Parse) -> list[Request]:
        if len(parse.segments) > 1:
            return [
                cls(s.text, s.intent.name, float(s.intent.confidence), tuple(s.entities), i)
                for i, s in enumerate(parse.segments)
            ]
        return [cls(parse.text or "", parse.intent.name, float(parse.intent.confidence), tuple(parse.entities), 0)]

    def with_slot_values(self, domain: Domain, rewrite: Callable[[Any, Any], Any]) -> Request:
        """This request with each entity's value replaced by ``rewrite(entity, slot spec)`` for the
        entities that fill a slot, where that gives a value (None: kept); the same request when none
        changes."""
        idx = index(domain)
        changed = False
        entities = []
        for entity in self.entities:
            spec = domain.slots.get(idx.entity_slot.get(entity.entity, ""))
            value = rewrite(entity, spec) if spec is not None else None
            if value is not None and value != entity.value:
                entity = replace(entity, value=value)
                changed = True
            entities.append(entity)
        return replace(self, entities=tuple(entities)) if changed else self


def pending_question(state: DialogueState, answered: bool = False) -> Pending | None:
    """The last question of the bot's latest turn (bot events after the last user event), if any;
    ``answered``: the question the user's latest message answers (the bot's turn before it)."""
    users = 0
    for event in reversed(state.events):
        kind = event.get("event")
        if kind == ev.USER:
            users += 1
            if users > int(answered):
                return None
            continue
        if kind == ev.BOT:
            meta = event.get("metadata") or {}
            if meta.get("expects"):
                return Pending(meta["expects"], meta.get("task_id"), meta.get("conflict"), meta.get("recommendation"))
    return None
