"""The agenda in words: "what have I booked?" lists every task of the conversation, what it holds,
how far it got and, for one still open, what it waits for. Pure: state and domain in, decisions out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from assistant.domain import display_value
from assistant.profile.describe import value_words
from assistant.state import CANCELLED, COMPLETED, FAILED, SUSPENDED
from policies.decisions import STAYING_GOAL, Decision, Utter
from policies.slot_policy import NO_PREFERENCE
from policies.words import join_words, slot_words

if TYPE_CHECKING:
    from assistant.domain import Domain
    from assistant.state import DialogueState, Task

def summary(state: DialogueState, domain: Domain, booked_before: Sequence[str] = ()) -> list[Decision]:
    """ "What have I booked?": each task of the conversation in a sentence, then the places booked in
    earlier conversations (``booked_before``, newest first) that still stand."""
    lines = [line for line in (describe(task, domain) for task in state.tasks) if line]
    if booked_before:
        lines.append(("Before this conversation, you booked " if lines else "Nothing yet in this conversation; "
                      "before it, you booked ") + join_words(list(booked_before)) + ".")
    if not lines:
        return [Utter("utter_no_plans")]
    return [Utter("utter_plans", {"plans": " ".join(lines)})]


def describe(task: Task, domain: Domain) -> str | None:
    """ "Your restaurant booking is done: Osteria Verde, for 2, on Friday at 19:00 (reference QJDU2COY)." """
    task_type = domain.tasks.get(task.type)
    if task_type is None:
        return None
    details = ", ".join(d for d in (_detail(domain, slot, task.slots.get(slot)) for slot in task_type.slot_names) if d)
    details = details.replace(", at ", " at ").replace(", arriving by", " arriving by")
    if task.goal == STAYING_GOAL and task.status == COMPLETED:  # "I'm staying at ...": nothing was booked
        return f"You're staying at {task_type.schedule_value('place', task.slots)}."
    label = f"Your {task_type.label_for(task.goal)}"
    ref = task.slots.get(f"{task.type}-ref")
    if task.status == COMPLETED:
        return f"{label} is done: {details}" + (f" (reference {ref})." if ref else ".")
    if task.status == CANCELLED:
        return f"{label} was cancelled" + (f" ({details})." if details else ".")
    if task.status == FAILED:
        return f"{label} could not be done" + (f" ({details})." if details else ".")
    missing = task_type.missing(task.slots)
    state_words = "is waiting" if task.status == SUSPENDED else "is under way"
    text = f"{label} {state_words}" + (f": {details}" if details else "")
    if missing:
        spec = domain.slots.get(missing[0])
        name = spec.label if spec is not None and spec.label else missing[0]
        text += f"; no {name} chosen yet" if spec is not None and spec.kind == "name" else f"; I still need the {name}"
    return text + "."


# the words a value of these kinds follows in a summary: "from the station", "in the north"
_LEADS = {"origin": "from", "destination": "to", "time": "at", "arrival": "arriving by", "area": "in the"}


def _detail(domain: Domain, slot: str, value: Any) -> str | None:
    spec = domain.slots.get(slot)
    if value is None or spec is None or slot.endswith("-ref") or str(value).lower() == NO_PREFERENCE:
        return None
    kind = spec.kind
    text = str(slot_words(kind, value))  # a place with its article, a day capitalised
    if kind in _LEADS:
        return f"{_LEADS[kind]} {text}"
    if kind == "day":
        return f"on {text}"
    if kind == "people":
        return f"for {display_value(value)}"
    if kind == "nights":
        count = display_value(value)
        return f"{count} night{'' if count == '1' else 's'}"
    if kind == "food":
        return value_words("food", text)  # "Italian food"
    if kind == "stars":
        return f"{display_value(value)} stars"
    if kind in ("parking", "internet"):
        return f"with {spec.label}" if text.lower() in ("yes", "true", "free") else f"no {spec.label} needed"
    return text
