"""Slot policy: check values against the domain's rules, overwrite on corrections, ask the next slot,
confirm before an irreversible action, then run it.

Pure: every function reads the state and returns decisions.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from assistant.domain import display_value, place_reference
from assistant.state import AWAITING_CONFIRMATION, COMPLETED
from nlu.types import ParsedEntity
from policies import cues
from policies.clock_time import WEEKDAYS, bare_hour, from_now, minutes_from_now
from policies.decisions import (
    CONFIRM,
    OFFER,
    RETRY,
    SLOT,
    CompleteTask,
    Decision,
    Recommend,
    RequestConfirmation,
    ResumeTask,
    RunAction,
    SetSlot,
    UpdateTask,
    Utter,
)
from policies.index import REQUESTED_SLOT, index
from policies.words import PLACE_KINDS, place_name, slot_words

if TYPE_CHECKING:
    from assistant.domain import Domain, TaskType
    from assistant.state import DialogueState, Task
    from policies.context import Pending, Request


@dataclass
class SlotCheck:
    """Proposed values sorted out: new or changed (``values``), which of those overwrite a value
    (``corrected``: slot, old, new), and rejected ones (``invalid``: slot, raw value, hint)."""

    values: dict[str, Any] = field(default_factory=dict)
    corrected: list[tuple[str, Any, Any]] = field(default_factory=list)
    invalid: list[tuple[str, Any, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.values and not self.invalid


def proposals(task_type: str, entities: Iterable[Any], domain: Domain) -> dict[str, Any]:
    """Entity values moved to ``task_type``'s slots (a bare "4 people" answers the hotel's guests)."""
    idx = index(domain)
    out: dict[str, Any] = {}
    for slot, value in idx.slot_values(entities):
        target = idx.maps(task_type, slot)
        if target is not None and target not in out:
            out[target] = value
    return out


#: slot kinds whose values are clock times
TIME_KINDS = ("time", "arrival")


def closed_set_values(request: Request, domain: Domain) -> Request:
    """The request with each value of a slot with a closed set of values in that set's spelling
    ("nrth" -> "north", "Centre" -> "centre"), so that the profile learns the value the slot gets;
    values the slot would reject are left for it to reject."""

    def spelt(entity: Any, spec: Any) -> Any:
        if spec.type != "categorical" or not isinstance(entity.value, str):
            return None
        value, hint = spec.validate(entity.value)
        return value if hint is None else None

    return request.with_slot_values(domain, spelt)


def bare_number_as_asked_time(request: Request, state: DialogueState, domain: Domain) -> Request:
    """ "7" answering "at what time?" is the time, though a bare number reads as a count of people:
    the request with that number as the asked slot's hour (``HH:00``; the slot's ``hours`` rule then
    reads it as meant). Any other request comes back as it is."""
    task = state.focused_task
    asked = domain.slots.get(task.requested_slot) if task is not None and task.requested_slot else None
    if asked is None or asked.kind not in TIME_KINDS or len(request.entities) != 1:
        return request
    [entity] = request.entities
    # the whole reply is the number ("7", "at seven"): "4 people" stays a count
    if isinstance(entity.value, bool) or not isinstance(entity.value, (int, float)) or \
            bare_hour(request.text.strip(" .!?")) != entity.value:
        return request
    hour = replace(entity, entity=asked.entity or asked.name, value=f"{int(entity.value):02d}:00")
    return replace(request, entities=(hour,))


def _task_type_for(request: Request, state: DialogueState, domain: Domain,
                   before: Request | None = None) -> TaskType | None:
    """The task a request is for: its own intent's, else the request's before it, else the one in focus."""
    serving = domain.task_for_intent(request.intent) or \
        (domain.task_for_intent(before.intent) if before is not None else None)
    focused = state.focused_task
    return serving if serving is not None else (domain.tasks.get(focused.type) if focused is not None else None)


def time_from_now(request: Request, state: DialogueState, domain: Domain, now: datetime) -> Request:
    """ "A taxi to the station asap", "in 20 minutes", "now" to "what time should the taxi pick you up?":
    the pick-up time counted from ``now`` (rounded up to five minutes; the confirmation shows it), for a
    task whose bare hours mean the next such hour (a taxi, a train), on today's date (a train with no
    day yet travels today). Any other request, or one that gives a time itself, comes back as it is."""
    task_type = _task_type_for(request, state, domain)
    if task_type is None:
        return request
    focused = state.focused_task
    task = focused if focused is not None and focused.type == task_type.name else state.task_of_type(task_type.name)
    times = [s for s in task_type.schedule.get("time", ()) if s in domain.slots]
    answering = task is not None and task is focused and task.requested_slot in times
    text = request.text or ""
    soon = minutes_from_now(text, answering)
    if not times or soon is None or (not answering and cues.RESUME_NOW.search(text)):
        return request  # no clock time to fill, no time from now, or "the taxi now" (back to the taxi)
    # the tagger reads the 20 of "in 20 minutes" as 20:00: what it found inside those words is dropped
    entities = tuple(e for e in request.entities if not soon.start <= e.start < soon.end)
    if any(slot in times for slot in proposals(task_type.name, entities, domain)):
        return request  # the user gave a clock time as well ("at 5pm, or asap")
    slot = next((s for s in times if domain.slots[s].kind == "time" and domain.slots[s].hours == "next"), None)
    if answering and domain.slots[task.requested_slot].kind == "time":  # type: ignore[union-attr, index]
        slot = task.requested_slot  # type: ignore[union-attr]
    if slot is None:
        return request
    today = WEEKDAYS[now.weekday()]
    extra: list[ParsedEntity] = []
    day_slot = next(iter(task_type.schedule.get("day", ())), None)
    if day_slot is not None:
        day = proposals(task_type.name, entities, domain).get(day_slot) or \
            (task.slots.get(day_slot) if task is not None else None)
        if day is None:  # "a train to London asap": today's
            extra.append(ParsedEntity(domain.slots[day_slot].entity or day_slot, today, soon.start, soon.end, 1.0,
                                      "clock", text[soon.start:soon.end]))
        elif str(day).lower() not in (today, "today"):
            return request  # "on friday ... as soon as possible": no clock time for another day
    value = from_now(now.hour * 60 + now.minute, soon.minutes)
    said = ParsedEntity(domain.slots[slot].entity or slot, value, soon.start, soon.end, 1.0, "clock",
                        text[soon.start:soon.end])
    return replace(request, entities=(*entities, said, *extra))


# "not too expensive", "isn't pricey", "nothing too fancy": the price range below the top one, as MultiWOZ
# reads it (the tagger sees "expensive" and tags that)
_NOT_DEAR = re.compile(r"\b(?:not|isn'?t|aren'?t|nothing|never|no)\s+(?:(?:too|that|very|overly|so|super|terribly)\s+)?"
                       r"(?:expensive|pric(?:e)?y|dear|costly|fancy|posh|upmarket|upscale|high[- ]end)\b", re.I)


def negated_price(request: Request, state: DialogueState, domain: Domain, before: Request | None = None) -> Request:
    """ "Somewhere to stay in the centre, not too expensive": the moderate price range for the task the
    request is for (was the expensive range the tagger read in it, or nothing and an expensive place
    suggested for the word), in place of any price the tagger found in those words. ``before``: the
    request before it in the message ("..., not too expensive" is a clause of its own, for the task
    asked for before it). Any other request comes back as it is."""
    text = request.text or ""
    found = _NOT_DEAR.search(text)
    task_type = _task_type_for(request, state, domain, before)
    price = next((s for s in task_type.slot_names if domain.slots[s].kind == "pricerange"), None) \
        if task_type is not None and found else None
    if found is None or price is None or "moderate" not in domain.slots[price].values:
        return request
    start, end = found.span()
    kept = tuple(e for e in request.entities if not (e.start < end and start < e.end))
    said = ParsedEntity(domain.slots[price].entity or price, "moderate", start, end, 1.0, "negation", found.group(0))
    return replace(request, entities=(*kept, said))


# "just me", "the two of us": a party size in words, to "how many people?"
_PARTY_WORDS = ((re.compile(r"^\W*(?:(?:it'?s |just |only )?(?:me|myself)(?: alone| on my own)?|(?:just |only )?one"
                            r"|on my own|by myself|solo|alone|a single person)\W*$", re.I), 1),
                (re.compile(r"^\W*(?:(?:just |only )?(?:the )?two of us|me and my (?:wife|husband|partner|friend|"
                            r"girlfriend|boyfriend|colleague|mum|dad|mother|father|son|daughter)|a couple|us two)\W*$",
                            re.I), 2))


def party_in_words(request: Request, state: DialogueState, domain: Domain) -> Request:
    """ "Just me" or "the two of us" answering "how many people?" (the tagger finds no number in them):
    the request with that count as the asked slot. Any other request comes back as it is."""
    task = state.focused_task
    asked = domain.slots.get(task.requested_slot) if task is not None and task.requested_slot else None
    if asked is None or asked.kind != "people" or request.entities:
        return request
    count = next((n for pattern, n in _PARTY_WORDS if pattern.search(request.text or "")), None)
    if count is None:
        return request
    text = request.text or ""
    entity = ParsedEntity(asked.entity or asked.name, count, 0, len(text), 1.0, "party_words", text)
    return replace(request, entities=(entity,), intent="inform")


def fits_question(task: Task, slot: str, domain: Domain) -> str | None:
    """The slot ``task`` just asked for, when a value tagged ``slot`` can answer it: a free-text
    answer ("from the Lensfield hotel", tagged as a hotel name) to a free-text question ("where
    should the taxi pick you up?"). None otherwise."""
    asked = task.requested_slot
    want = domain.slots.get(asked) if asked else None
    got = domain.slots.get(slot)
    if want is None or got is None or task.slots.get(asked) is not None:  # type: ignore[arg-type]
        return None
    if want.kind != got.kind and not {want.kind, got.kind} <= PLACE_KINDS:
        return None  # "from the restaurant" (a place) is no answer to "what food do you like?"
    return asked if want.type == got.type == "text" and not want.regex and not got.regex else None


# kinds whose values are all places: one can answer a question about another
# words around a bare place given as an answer ("from the Lockside Guesthouse, please")
_AROUND_A_PLACE = frozenset({"the", "from", "to", "at", "it", "its", "it's", "is", "please", "thanks", "er", "um"})


def answer_with_place(pending: Pending, state: DialogueState, request: Request,
                      domain: Domain) -> list[Decision] | None:
    """ "The Lockside Guesthouse" answering "where should the taxi pick you up?": a message that is
    only a place is the answer to the place question, though the NLU reads a venue's name as a
    request for it (find_hotel). None when the message says anything more."""
    task = state.task(pending.task_id) if pending.task_id else state.focused_task
    if task is None or not task.is_open or task.requested_slot is None or len(request.entities) != 1:
        return None
    [entity] = request.entities
    slot = index(domain).entity_slot.get(entity.entity)
    asked = fits_question(task, slot, domain) if slot else None
    spec = domain.slots.get(slot or "")
    if asked is None or spec is None or spec.kind not in PLACE_KINDS:
        return None
    text = (request.text or "").lower()
    said = str(getattr(entity, "text", None) or entity.value).lower()  # offsets may be the whole message's
    if said not in text:
        return None
    if any(word not in _AROUND_A_PLACE for word in re.findall(r"[a-z']+", text.replace(said, " ", 1))):
        return None
    return fill(task.id, check(task.slots, {asked: entity.value}, domain), domain)


def check(current: Mapping[str, Any], proposed: Mapping[str, Any], domain: Domain,
          state: DialogueState | None = None) -> SlotCheck:
    """Validate each proposed value with its SlotSpec; a different value for a filled slot is a correction.
    With ``state``, an area named after another task ("near the hotel") is that task's area."""
    result = SlotCheck()
    for slot, raw in proposed.items():
        spec = domain.slots.get(slot)
        if spec is None:
            continue
        if state is not None and spec.kind == "area":
            raw = referenced_area(raw, state, domain) or raw
        value, hint = spec.validate(raw)
        if hint is not None:
            result.invalid.append((slot, raw, hint))
            continue
        old = current.get(slot)
        if old is not None and _same(old, value):
            continue
        result.values[slot] = value
        if old is not None:
            result.corrected.append((slot, old, value))
    return result


def referenced_area(raw: Any, state: DialogueState, domain: Domain) -> Any:
    """The area of the latest task that ``raw`` names ("the hotel" -> the hotel task's area), or None."""
    word = place_reference(raw)
    if word is None:
        return None
    for task in reversed(state.tasks):
        task_type = domain.tasks.get(task.type)
        names = {task.type, task_type.recommend if task_type is not None else None}
        if word not in names:
            continue
        for slot, value in task.slots.items():
            spec = domain.slots.get(slot)
            if value is not None and spec is not None and spec.kind == "area":
                return value
    return None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return str(a).strip().lower() == str(b).strip().lower()


def fill(task_id: str, result: SlotCheck, domain: Domain, announce_corrections: bool = True) -> list[Decision]:
    """Set the checked values, say what was corrected, and re-ask each rejected value with its hint."""
    idx = index(domain)
    out: list[Decision] = [SetSlot(slot, value, task_id) for slot, value in result.values.items()]
    if announce_corrections:
        for slot, _, new in result.corrected:
            kind = domain.slots[slot].kind if slot in domain.slots else None
            out.append(Utter("utter_slot_corrected", {"slot": idx.label(domain, slot), "value": slot_words(kind, new)},
                             task_id))
    return out + invalid_asks(task_id, result, domain)


# said of an area given as a place the catalogue does not place (the dialogue may say more: several museums)
UNKNOWN_PLACE = "I can't tell which part of town that is."


def invalid_asks(task_id: str, result: SlotCheck, domain: Domain) -> list[Decision]:
    idx = index(domain)
    out: list[Decision] = []
    for slot, raw, hint in result.invalid:
        spec = domain.slots.get(slot)
        if spec is not None and spec.kind == "area" and spec.values:
            hint = f"{UNKNOWN_PLACE} {hint}"  # a place no one knows, or several do
        out.append(SetSlot(REQUESTED_SLOT, slot, task_id))
        values = {"value": display_value(raw), "slot": idx.label(domain, slot), "hint": hint}
        out.append(Utter("utter_invalid_value", values, task_id, expects=SLOT))
    return out


def next_step(state: DialogueState, task: Task, domain: Domain) -> list[Decision]:
    """What the task needs now: the next slot asked, a confirmation, an offer, or its action run."""
    task_type = domain.tasks.get(task.type)
    if task_type is None:
        return []
    if task.goal == "find" and task_type.recommend:
        browsing = _browse_step(task, task_type, domain)
        if browsing is not None:
            return browsing
    missing = task_type.missing(task.slots)
    if missing:
        asking = ask(task, missing[0], task_type)
        if task_type.recommend and missing[0] == index(domain).name_slot.get(task.type):
            return [Recommend(task.id, task_type.recommend, tuple(asking))]  # "How about X?" rather than "which?"
        return asking
    out: list[Decision] = [SetSlot(REQUESTED_SLOT, None, task.id)] if task.requested_slot else []
    confirm = task_type.responses.get("confirm")
    if task_type.confirm and confirm:
        if task.status != AWAITING_CONFIRMATION:
            out.append(RequestConfirmation(task.id))
        return out + [Utter(confirm, task_id=task.id, expects=CONFIRM)]
    return out + [RunAction(task.id, task_type.action)]


def _browse_step(task: Task, task_type: TaskType, domain: Domain) -> list[Decision] | None:
    """Browsing (goal find): only the choice is asked; then the booking is offered, or, for a task
    without an offer, the action runs. None: go on as a booking."""
    name = index(domain).name_slot.get(task.type)
    offer = task_type.responses.get("offer")
    if name is not None and task.slots.get(name) is None:
        filtered = any(task.slots.get(s) is not None for s in task_type.optional)
        if offer is None and filtered:
            fallback = [RunAction(task.id, task_type.action)]  # e.g. "a museum in the centre": look it up now
        else:
            fallback = ask(task, name, task_type)
        return [Recommend(task.id, task_type.recommend or task.type, tuple(fallback))]
    if offer is not None:
        return [Utter(offer, task_id=task.id, expects=OFFER)]
    return [RunAction(task.id, task_type.action)]


def ask(task: Task, slot: str, task_type: TaskType) -> list[Decision]:
    out: list[Decision] = [] if task.requested_slot == slot else [SetSlot(REQUESTED_SLOT, slot, task.id)]
    return out + [Utter(task_type.ask_response(slot), task_id=task.id, expects=SLOT)]


def reask(state: DialogueState, domain: Domain) -> list[Decision]:
    """The focused task's current question again, without changing anything (after a misunderstanding)."""
    task = state.focused_task
    if task is None:
        return []
    step: list[Decision] = []
    for decision in next_step(state, task, domain):
        step.extend(decision.fallback if isinstance(decision, Recommend) else [decision])
    return [d for d in step if isinstance(d, Utter)]


# "no thanks", "I don't want to book", "no need to book": the booking is not wanted (a bare "no" to
# "how many people?" can mean nothing else)
_NO_BOOKING = re.compile(r"\b(?:(?:do ?n[o']t|do not|no need to|not going to) (?:want to |need to )?(?:book|reserve)"
                         r"|(?:won't|will not|wont) (?:book|need (?:a|the) (?:booking|table|room))"
                         r"|just (?:looking|browsing|the (?:suggestion|name|idea|info))|no booking)\b", re.I)


def decline_booking(pending: Pending, state: DialogueState, request: Request, domain: Domain) -> list[Decision] | None:
    """ "No thanks" to "how many of you will be dining?" after "book it": the booking is not wanted.
    The search ends with the place chosen ("No problem, I won't book Osteria Verde. Just say if you
    change your mind."), and the booking stays on offer: "ok, book it then" takes it up again. None
    when the reply is anything else, or the question is not one of a booking's details."""
    task = state.task(pending.task_id) if pending.task_id else state.focused_task
    if task is None or not task.is_open or task.goal != "book" or task.requested_slot is None:
        return None
    task_type = domain.tasks.get(task.type)
    if task_type is None or task.requested_slot not in task_type.required_slots or request.entities:
        return None
    text = request.text or ""
    if not (_NO_BOOKING.search(text) or cues.yes_or_no(request.intent, text) == "no"):
        return None
    name_slot = index(domain).name_slot.get(task.type)
    if task.requested_slot == name_slot:
        return None  # "no" to "which hotel would you like?": no choice yet, nothing to decline
    name = task.slots.get(name_slot) if name_slot else None
    label = task_type.label_for(task.goal)
    words = {"task": label, "item": place_name(str(name)) if name else f"the {label}"}
    return [UpdateTask(task.id, goal="find"), SetSlot(REQUESTED_SLOT, None, task.id),
            CompleteTask(task.id, {"booked": False}), Utter("utter_booking_declined", words, task.id, expects=OFFER)]


#: the value of an optional slot the user left to us ("surprise me"): MultiWOZ's, no filter
NO_PREFERENCE = "dontcare"


def answer_no_preference(pending: Pending, state: DialogueState, request: Request,
                         domain: Domain) -> list[Decision] | None:
    """ "Surprise me" / "I don't mind" (or a bare "no": no preference; a bare "yes" to the taste
    question, which offers to surprise) to the question for an optional slot: the slot is settled as
    "dontcare" (no filter, never asked again); None when the reply is something else."""
    task = state.task(pending.task_id) if pending.task_id else state.focused_task
    if task is None or not task.is_open or task.requested_slot is None:
        return None
    task_type = domain.tasks.get(task.type)
    slot = task.requested_slot
    if task_type is None or slot not in task_type.optional or slot in task_type.required_slots:
        return None
    if proposals(task.type, request.entities, domain):
        return None
    reply = cues.yes_or_no(request.intent, request.text)
    # the taste question ends "... or shall I surprise you?": a bare "yes" / "ok" takes the offer
    surprise = reply == "yes" and slot == task_type.taste
    if not cues.no_preference(request.text) and reply != "no" and not surprise:
        return None
    return [SetSlot(slot, NO_PREFERENCE, task.id), SetSlot(REQUESTED_SLOT, None, task.id)]


def answer(pending: Pending, state: DialogueState, request: Request, domain: Domain) -> list[Decision] | None:
    """A yes or no to a confirmation, a booking offer or a retry; None when the request is no such answer.
    A booking offered again after it was declined ("just say if you change your mind") is on a search
    already ended: a yes opens it again as a booking."""
    task = state.task(pending.task_id) if pending.task_id else state.focused_task
    if task is not None and task.status == COMPLETED and pending.expects == OFFER and task.goal == "find" \
            and cues.yes_or_no(request.intent, request.text) == "yes":
        # "ok, book it then" (for 2 people, 3 nights from Thursday): the booking's details come with it
        task_type = domain.tasks.get(task.type)
        details = proposals(task.type, request.entities, domain)
        name_slot = index(domain).name_slot.get(task.type)
        if task_type is not None and set(details) <= set(task_type.required_slots) - {name_slot}:
            checked = check(task.slots, details, domain, state)
            return [UpdateTask(task.id, goal="book"), ResumeTask(task.id),
                    *fill(task.id, checked, domain, announce_corrections=False)]
    if task is None or not task.is_open:
        return None
    if proposals(task.type, request.entities, domain):
        return None  # "no, make it 8pm": a correction, routed as one
    reply = cues.yes_or_no(request.intent, request.text)
    if reply is None:
        return None
    task_type = domain.tasks.get(task.type)
    if task_type is None:
        return None
    if pending.expects == CONFIRM:
        if reply == "yes":
            return [RunAction(task.id, task_type.action)]
        return [ResumeTask(task.id), Utter("utter_ask_change", task_id=task.id, expects=SLOT)]
    if pending.expects == OFFER:
        if reply == "yes":
            return [UpdateTask(task.id, goal="book")] + ([ResumeTask(task.id)] if task.id != state.focus else [])
        return [CompleteTask(task.id, {"booked": False})]
    if pending.expects == RETRY:
        if reply == "yes":
            return [RunAction(task.id, task_type.action)]
        return [Utter("utter_ask_change", task_id=task.id, expects=SLOT)]
    return None
