"""Checks one turn against what the script expects. Pure functions over events and the state.

A *turn* is what one user message produced: the user event (with its parse), the bot events after
it, and the dialogue state once the turn was stored. A user step's assertions are checked on the
parse and the state; the bot steps that follow it are found, in order, among the turn's bot events
(messages nobody asserted may sit between them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from .model import ANY_TASK, NO_TASK, BotStep, UserStep, slash_regex

if TYPE_CHECKING:
    from assistant.state import DialogueState, Task

RECOMMENDATION = "recommendation"  # the key a recommending bot event carries in its data or metadata


@dataclass
class Turn:
    """One user message and everything it led to."""

    sender_id: str
    text: str
    parse: dict[str, Any]  # the user event's parse_data
    bots: list[dict[str, Any]]  # the turn's bot events, in order
    state: DialogueState  # after the turn
    suggested: frozenset[tuple[Any, Any]] = frozenset()  # (kind, id) recommended in earlier turns


# ===================================================================== values


def values_match(expected: Any, actual: Any) -> bool:
    """Loose equality for canonical values: ``2`` matches ``"2"`` and ``2.0``, ``"North"`` matches
    ``"north"``, a ``/regex/`` searches the value's text, ``null`` matches only "not set"."""
    if expected is None:
        return actual is None
    if actual is None:
        return False
    if isinstance(expected, list):
        actual_list = actual if isinstance(actual, (list, tuple)) else [actual]
        return len(expected) == len(actual_list) and all(values_match(e, a) for e, a in zip(expected, actual_list))
    if isinstance(expected, bool) or isinstance(actual, bool):
        return _as_bool(expected) == _as_bool(actual) and _as_bool(expected) is not None
    try:
        pattern = slash_regex(expected)
    except Exception:
        pattern = None
    if pattern is not None:
        return pattern.search(str(actual)) is not None
    number_e, number_a = _as_number(expected), _as_number(actual)
    if number_e is not None and number_a is not None:
        return number_e == number_a
    return str(expected).strip().casefold() == str(actual).strip().casefold()


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return {"true": True, "yes": True, "false": False, "no": False}.get(text)


def show(value: Any) -> str:
    """A value as the failure report writes it (YAML-ish: no quotes around plain words)."""
    if value is None:
        return "(not set)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


# ===================================================================== user steps


def check_user(step: UserStep, turn: Turn) -> list[str]:
    """What the turn got wrong against the step's assertions (``[]``: all hold)."""
    problems: list[str] = []
    if step.intent is not None:
        problems += _check_intent(step.intent, turn.parse)
    if step.entities is not None:
        problems += _check_entities(step.entities, turn.parse)
    if step.tasks is not None:
        problems += _check_tasks(step.tasks, turn.state)
    if step.slots is not None:
        problems += _check_slots(step.slots, turn.state)
    if step.focus is not None:
        focused = turn.state.focused_task
        actual = focused.type if focused is not None else NO_TASK
        if actual != step.focus:
            problems.append(f"focus: expected {step.focus}, got {actual}")
    return problems


def intent_of(parse: Mapping[str, Any]) -> tuple[str | None, float]:
    intent = parse.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def segment_intents(parse: Mapping[str, Any]) -> list[str | None]:
    """The intent of each request of the message: its segments', or the one intent."""
    segments = parse.get("segments") or []
    if len(segments) > 1:
        return [(s.get("intent") or {}).get("name") for s in segments]
    return [intent_of(parse)[0]]


def _check_intent(expected: str | tuple[str, ...], parse: Mapping[str, Any]) -> list[str]:
    if isinstance(expected, str):
        name, confidence = intent_of(parse)
        if name != expected:
            return [f"intent: expected {expected}, got {name} ({confidence:.2f})"]
        return []
    actual = segment_intents(parse)
    if list(expected) != actual:
        return [f"intents of the requests: expected [{', '.join(expected)}], got [{', '.join(map(str, actual))}]"]
    return []


def _check_entities(expected: Mapping[str, Any], parse: Mapping[str, Any]) -> list[str]:
    entities = parse.get("entities") or []
    problems = []
    for name, wanted in expected.items():
        found = [e.get("value") for e in entities if e.get("entity") == name]
        for value in wanted if isinstance(wanted, list) else [wanted]:
            if value is None:
                if found:
                    problems.append(f"entity {name}: expected none, got {show(found)}")
            elif not any(values_match(value, f) for f in found):
                got = show(found if len(found) > 1 else found[0]) if found else "none"
                problems.append(f"entity {name}: expected {show(value)}, got {got}")
    return problems


def tasks_of(state: DialogueState, task_type: str) -> list[Task]:
    return [t for t in state.tasks if t.type == task_type]


def _check_tasks(expected: Mapping[str, Any], state: DialogueState) -> list[str]:
    problems = []
    for task_type, wanted in expected.items():
        if task_type == ANY_TASK:
            if state.tasks:
                problems.append("tasks: expected none, got " + ", ".join(f"{t.type} {t.status}" for t in state.tasks))
            continue
        statuses = [t.status for t in tasks_of(state, task_type)]
        if wanted == NO_TASK:
            ok = not statuses
        elif isinstance(wanted, tuple):
            ok = list(wanted) == statuses
        else:
            ok = bool(statuses) and statuses[-1] == wanted  # the latest task of the type
        if not ok:
            want = "[" + ", ".join(wanted) + "]" if isinstance(wanted, tuple) else wanted
            got = ("[" + ", ".join(statuses) + "]" if isinstance(wanted, tuple) or len(statuses) > 1
                   else (statuses[0] if statuses else NO_TASK))
            problems.append(f"task {task_type}: expected {want}, got {got}")
    return problems


def slot_value(state: DialogueState, slot: str) -> Any:
    """A slot's value after the turn: that of the latest task of the slot's task type
    (``taxi-destination`` -> the latest taxi), else the conversation's own (``diet``)."""
    task_type = slot.split("-", 1)[0]
    mine = tasks_of(state, task_type)
    if mine and "-" in slot:
        return mine[-1].slots.get(slot)
    return state.slots.get(slot)


def _check_slots(expected: Mapping[str, Any], state: DialogueState) -> list[str]:
    problems = []
    for slot, wanted in expected.items():
        actual = slot_value(state, slot)
        if not values_match(wanted, actual):
            problems.append(f"slot {slot}: expected {show(wanted)}, got {show(actual)}")
    return problems


# ===================================================================== bot steps


def recommendation_of(event: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ``{"kind", "id", "name"}`` a recommending bot event carries (metadata or data), or None."""
    for part in (event.get("metadata"), event.get("data")):
        if isinstance(part, Mapping):
            found = part.get(RECOMMENDATION)
            if isinstance(found, Mapping):
                return found
            custom = part.get("custom")
            if isinstance(custom, Mapping) and isinstance(custom.get(RECOMMENDATION), Mapping):
                return custom[RECOMMENDATION]
    return None


def response_of(event: Mapping[str, Any]) -> str | None:
    return (event.get("metadata") or {}).get("utter_action")


def bot_matches(step: BotStep, event: Mapping[str, Any], suggested: Iterable[tuple[Any, Any]] = ()) -> bool:
    """The bot event has everything the step asks for; ``suggested``: the (kind, id) of the
    recommendations made before it (for ``recommends: {new: true}``)."""
    if step.response is not None and response_of(event) != step.response:
        return False
    text = event.get("text") or ""
    if step.text is not None and text.strip() != step.text.strip():
        return False
    if step.pattern is not None and step.pattern.search(text) is None:
        return False
    if step.recommends is not None:
        found = recommendation_of(event)
        if found is None:
            return False
        wanted = {k: v for k, v in step.recommends.items() if k != "new"}
        if not all(values_match(value, found.get(key)) for key, value in wanted.items()):
            return False
        if "new" in step.recommends:
            is_new = (found.get("kind"), found.get("id")) not in set(suggested)
            if is_new != step.recommends["new"]:
                return False
    return True


def recommendations_in(events: Iterable[Mapping[str, Any]]) -> list[tuple[Any, Any]]:
    """(kind, id) of each recommendation among the events, in order."""
    out = []
    for event in events:
        found = recommendation_of(event)
        if found is not None:
            out.append((found.get("kind"), found.get("id")))
    return out


def find_bot(step: BotStep, bots: Sequence[Mapping[str, Any]], start: int = 0,
             suggested: Iterable[tuple[Any, Any]] = ()) -> int | None:
    """Index of the first bot event from ``start`` on that the step matches, or None. A recommendation
    counts as new unless made in an earlier turn (``suggested``) or earlier in this one."""
    earlier = set(suggested)
    for i in range(len(bots)):
        if i >= start and bot_matches(step, bots[i], earlier):
            return i
        earlier.update(recommendations_in([bots[i]]))
    return None
