"""The answer to a suggestion ("How about Curry Garden? ... Shall I book a table?"): pure decisions.

- accept ("sounds good", "yes", "book it") → the item fills the task's name slot, the profile and the
  ranking model learn it was liked, and a browsing task turns into a booking;
- reject ("no", "too pricey", "I don't like Thai") → the profile learns why, the item is never
  suggested again, and the next best one is suggested;
- "something else" → a different, diverse alternative (no taste is learnt from it);
- a detail instead ("somewhere in the north") or the name of another place is no answer: it is
  routed as a correction, and the task's next step suggests again under the new filters.

Before the first suggestion to a user whose taste is unknown, the task's ``taste`` slot is asked once
("Any kind of food you like, or shall I surprise you?"): one answer tells more than several
suggestions turned down, and "surprise me" costs the user one word.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Collection

from assistant.profile.model import PRICE_LEVELS, price_rank, slot_attribute
from assistant.profile.updates import feeling, reason_kinds
from policies import comparisons, cues, slot_policy
from policies.context import Pending, Request
from policies.decisions import (SLOT, Decision, Feedback, RaiseBudget, Recommend, ResumeTask, SetSlot, UpdateTask,
                                Utter)
from policies.index import REQUESTED_SLOT, index

if TYPE_CHECKING:
    from assistant.domain import Domain, TaskType
    from assistant.profile.model import UserProfile
    from assistant.state import DialogueState, Task

ACCEPT_INTENTS = frozenset({"accept_suggestion", "affirm"})
REJECT_INTENTS = frozenset({"reject_suggestion", "deny"})
ALTERNATIVE_INTENT = "ask_alternative"
# "something else", "another one", "what else is there": a skip, not a dislike
ALTERNATIVE = re.compile(r"\b(?:something else|anything else|another|other|different|else|alternatives?)\b", re.I)
# "surprise me", "something random" to a suggestion: not this one, pick something else for me (a skip)
SURPRISE = re.compile(r"\b(?:surprise me|(?:something|anything|somewhere|one) (?:random|at random)|random(?:ly)? pick"
                      r"|pick (?:one|something|somewhere) (?:for me|at random)|dealer'?s choice)\b", re.I)
# a reason with the no: "too pricey", "no, I don't like thai" (a bare "no" / "no thanks" gives none)
# "book it", "I'll take it", "let's go with that": a yes in the task's own words
TAKE_IT = re.compile(r"\b(?:book (?:it|that|them|there)|reserve it|(?:i'?ll )?take it|that one|go with (?:it|that)"
                     r"|sounds (?:good|great|perfect|lovely)|perfect|great)\b", re.I)
_NEGATION = re.compile(r"\b(?:not|don'?t|doesn'?t|isn'?t|no|never|hate|dislike)\b", re.I)
# a no with no reason, however many ways it is said ("no, not that one", "nah, no thanks")
_BARE_NO = re.compile(r"^\W*(?:(?:no|nope|nah|not really|not that one|not this one|no thanks?|no thank you)\b\W*)+$",
                      re.I)


def answer(pending: Pending, state: DialogueState, request: Request, domain: Domain) -> list[Decision] | None:
    """Decisions for a reply to the suggestion in ``pending``; None when the reply is something else."""
    item = pending.recommendation
    task = state.task(pending.task_id) if pending.task_id else None
    if not item or task is None or not task.is_open:
        return None
    task_type = domain.tasks.get(task.type)
    name_slot = index(domain).name_slot.get(task.type)
    if task_type is None or name_slot is None:
        return None
    kind = str(item.get("kind") or task_type.recommend or task.type)
    again = Recommend(task.id, kind, tuple(slot_policy.ask(task, name_slot, task_type)))
    if request.intent in REJECT_INTENTS | {"inform_preference"}:
        if feeling(request.text or "") < 0:  # "I don't fancy seafood": a no and why, not a search for seafood
            return [Feedback(task.id, item, accepted=False, reason=request.text),
                    Recommend(task.id, kind, again.fallback, lead="utter_suggestion_rejected")]
    surprise = SURPRISE.search(request.text or "")
    entities = request.entities
    if surprise:  # the "one" of "pick one at random" is no number of people
        entities = tuple(e for e in entities if not (e.text and e.text.lower() in surprise.group(0).lower()))
    proposed = slot_policy.proposals(task.type, entities, domain)
    named = proposed.pop(name_slot, None)
    if named is not None and str(named).lower() != str(item.get("name", "")).lower():
        return None  # "what about the Golden Wok?": the user's own choice, routed as a slot value
    reply = _reply(request)
    # "for 3 at 1pm today" to "shall I book a table?": the booking's details, so a yes (and they count
    # even where the task had others: the confirmation shows them before anything is booked)
    details_only = reply is None and bool(proposed) and set(proposed) <= _booking_details(task_type, name_slot)
    if details_only:
        reply = "accept"
    if reply == "accept":
        out: list[Decision] = [Feedback(task.id, item, accepted=True), SetSlot(name_slot, item.get("name"), task.id)]
        if task.goal == "find" and task_type.responses.get("offer"):
            out.append(UpdateTask(task.id, goal="book"))  # the suggestion asked "shall I book it?"
        if task.id != state.focus:
            out.append(ResumeTask(task.id))
        # details given with the yes ("yes, for 4 people") fill the task too
        given = {s: v for s, v in proposed.items() if details_only or task.slots.get(s) is None}
        checked = slot_policy.check(task.slots, given, domain, state)
        return out + slot_policy.fill(task.id, checked, domain, announce_corrections=False)
    if proposed:
        return None  # "no, somewhere cheaper in the north": new filters, routed as a correction
    if reply == "skip":
        return [Feedback(task.id, item, accepted=False, skipped=True),
                Recommend(task.id, kind, again.fallback, lead="utter_suggest_another")]
    if reply == "reject":
        reason = None if _BARE_NO.match(request.text or "") else request.text
        cheapest = _cheapest_already(task, item, reason, domain, state)
        if cheapest is not None:  # "too expensive" to a cheap place: not "something cheaper, then"
            return [Feedback(task.id, item, accepted=False, reason=reason), *cheapest,
                    Recommend(task.id, kind, again.fallback, lead="utter_nothing_cheaper")]
        # a bare "no thanks" gives nothing to remember but the place itself: no "I'll remember that"
        lead = "utter_suggestion_rejected" if reason else "utter_suggestion_declined"
        return [Feedback(task.id, item, accepted=False, reason=reason),
                Recommend(task.id, kind, again.fallback, lead=lead)]
    return None


def _cheapest_already(task: Task, item: dict, reason: str | None, domain: Domain,
                      state: DialogueState) -> list[Decision] | None:
    """ "Too expensive" to a place in the lowest price range: nothing is cheaper, so the reply says so
    and the search keeps to that range (the task's price slot is set to it). None for any other case."""
    attributes = item.get("attributes") if isinstance(item.get("attributes"), dict) else {}
    task_type = domain.tasks.get(task.type)
    price_slot = _price_slot(task_type, domain) if task_type is not None else None
    if price_slot is None or "price" not in reason_kinds(reason) or price_rank(attributes.get("pricerange")) != 0:
        return None
    checked = slot_policy.check(task.slots, {price_slot: PRICE_LEVELS[0]}, domain, state)
    return slot_policy.fill(task.id, checked, domain, announce_corrections=False)


def compare(pending: Pending, state: DialogueState, request: Request, domain: Domain) -> list[Decision] | None:
    """ "Anything cheaper?", "something more upmarket?" to a suggestion: the next price range from the
    offered place's, whatever the intent (the NLU reads "is there anything cheaper?" as nothing sure).
    "Cheaper" is a reason to turn the place down (the profile learns the budget, as from "too pricey");
    "more upmarket" a skip. With no range beyond the offered one the reply says so and offers another
    place in the same range. None when the message compares nothing, or names another task."""
    item = pending.recommendation
    task = state.task(pending.task_id) if pending.task_id else None
    if not item or task is None or not task.is_open:
        return None
    attributes = item.get("attributes") if isinstance(item.get("attributes"), dict) else {}
    moved = _price_move(task, request, attributes.get("pricerange"), domain, state)
    if moved is None:
        return None
    step, decisions = moved
    if step.level is None:
        feedback = Feedback(task.id, item, accepted=False, skipped=True)
        lead = "utter_nothing_cheaper" if step.direction < 0 else "utter_nothing_dearer"
    elif step.direction < 0:
        feedback, lead = Feedback(task.id, item, accepted=False, reason=request.text), "utter_suggestion_rejected"
    else:
        feedback, lead = Feedback(task.id, item, accepted=False, skipped=True), "utter_suggest_dearer"
    recommend = _recommend_again(task, str(item.get("kind") or ""), domain, lead)
    return [feedback, *decisions, recommend]


def compare_search(task: Task, state: DialogueState, request: Request, domain: Domain) -> list[Decision] | None:
    """ "Anything cheaper?" with no suggestion on the table (after "I can't find another restaurant
    that fits"), for the task's search with a price range already set: one range along from it, not
    the range the comparison word is tagged as ("cheaper" as cheap). None when the message compares
    nothing, the task has no price range yet or has its place, or another task is named."""
    task_type = domain.tasks.get(task.type)
    name_slot = index(domain).name_slot.get(task.type)
    price_slot = _price_slot(task_type, domain) if task_type is not None else None
    if not task.is_open or task_type is None or not task_type.recommend or price_slot is None \
            or (name_slot and task.slots.get(name_slot)):
        return None
    moved = _price_move(task, request, task.slots.get(price_slot), domain, state)
    if moved is None:
        return None
    step, decisions = moved
    lead = None
    if step.level is None:
        lead = "utter_search_cheapest" if step.direction < 0 else "utter_search_dearest"
    else:  # "I've changed the price range to moderate"
        decisions.append(Utter("utter_slot_corrected", {"slot": index(domain).label(domain, price_slot),
                                                        "value": step.level}, task.id))
    return [*decisions, _recommend_again(task, "", domain, lead)]


def _price_move(task: Task, request: Request, offered: object, domain: Domain,
                state: DialogueState) -> tuple[comparisons.PriceStep, list[Decision]] | None:
    """The price step a comparison asks for from ``offered``, and the task's slots moved to it (with
    anything else the message says: "cheaper, in the north"); None when there is none to take."""
    task_type = domain.tasks.get(task.type)
    price_slot = _price_slot(task_type, domain) if task_type is not None else None
    step = comparisons.price_step(request.text, offered)
    if step is None or price_slot is None:
        return None
    if any(name != task.type for name in cues.named_tasks(request.text or "", domain, request.entities)):
        return None  # "is there a cheaper restaurant?" while a hotel is offered: a search of its own
    idx = index(domain)
    # the comparison word itself may be tagged ("cheaper" as the cheap range): the step replaces it
    proposed = {s: v for s, v in slot_policy.proposals(task.type, request.entities, domain).items()
                if s != idx.name_slot.get(task.type) and not _is_price(s, domain)}
    checked = slot_policy.check(task.slots, {**proposed, price_slot: step.level or step.offered}, domain, state)
    wish: list[Decision] = [RaiseBudget(step.level)] if step.direction > 0 and step.level else []
    return step, [*wish, *slot_policy.fill(task.id, checked, domain, announce_corrections=False)]


def _recommend_again(task: Task, kind: str, domain: Domain, lead: str | None) -> Recommend:
    """The next suggestion after a comparison; a place suggested before may come back, as the search moved."""
    task_type = domain.tasks[task.type]
    idx = index(domain)
    fallback = tuple(slot_policy.ask(task, idx.name_slot[task.type], task_type)) if task.type in idx.name_slot else ()
    return Recommend(task.id, kind or task_type.recommend or task.type, fallback, lead=lead, again=True)


def _price_slot(task_type: TaskType, domain: Domain) -> str | None:
    return next((s for s in task_type.slot_names if _is_price(s, domain)), None)


def _is_price(slot: str, domain: Domain) -> bool:
    spec = domain.slots.get(slot)
    return spec is not None and spec.kind == "pricerange"


def refers_to_task(request: Request, owner_type: str, domain: Domain) -> bool:
    """ "ok book it for 2 people" read as a table booking while a hotel is offered or confirmed: "it"
    is the hotel. The message says "it" ("book it", "that one"), names no task and no place, and every
    value it gives has a slot of its kind in ``owner_type``."""
    text = request.text or ""
    if not TAKE_IT.search(text) or cues.named_tasks(text, domain, request.entities):
        return False
    idx = index(domain)
    names = set(idx.name_slot.values())
    return all(e.entity not in names and idx.maps(owner_type, e.entity) is not None for e in request.entities)


def _booking_details(task_type: TaskType, name_slot: str) -> set[str]:
    """The slots a booking needs besides the place (day, time, people): none of them picks the place."""
    return set(task_type.required_slots) - {name_slot}


def taste_question(task: Task, task_type: TaskType, profile: UserProfile, now: float,
                   suggested: bool, described: bool = False,
                   values: Collection[str] = ()) -> list[Decision] | None:
    """The taste question before a first suggestion, or None. Asked when the request says nothing of
    what the user wants (no filter but the area, no words describing the place: ``described``), the
    task's ``taste`` slot is empty (not even "dontcare") and was not just asked, nothing was
    suggested for the task yet, and the profile knows no liked value of that attribute and holds no
    history of this kind of place (a new user, asked once: after the answer a suggestion is in the
    history); for food, a known diet is enough to start from. ``values``: the slot's values where it
    has a fixed set; then only a liked one of them counts (a liked kind of hotel says nothing of the
    sights a user likes, though both are a "type")."""
    slot = task_type.taste
    kind = task_type.recommend
    if slot is None or kind is None or suggested or described or task.slots.get(slot) is not None:
        return None
    # "a cheap restaurant" says what matters to the user: suggest at once; where is no taste
    if any(task.slots.get(s) is not None for s in task_type.optional if s != slot and not s.endswith("-area")):
        return None
    if task.requested_slot == slot:
        return None  # asked already, and the answer was something else ("I'm vegetarian"): suggest now
    attribute = slot_attribute(slot)
    if attribute == "food" and profile.constraints.diet:
        return None  # "I'm vegetarian" answers the question (as it does when asked): suggest now
    known = {str(v).lower() for v in values}
    if any(p.attribute == attribute and (not known or p.value in known) and profile.score(attribute, p.value, now) > 0
           for p in profile.preferences):
        return None
    if any(entry.kind == kind for entry in profile.history):
        return None
    response = task_type.responses.get("taste") or task_type.ask_response(slot)
    return [SetSlot(REQUESTED_SLOT, slot, task.id), Utter(response, task_id=task.id, expects=SLOT)]


def is_answer(intent: str | None, confidence: float, text: str, floor: float) -> bool:
    """An answer to a suggestion, even when the NLU is not sure of it: an answer intent above
    ``floor``, or words that can only be one ("something else", "sounds good", "not that one")."""
    if intent in ACCEPT_INTENTS | REJECT_INTENTS | {ALTERNATIVE_INTENT} and confidence >= floor:
        return True
    return bool(ALTERNATIVE.search(text) or SURPRISE.search(text) or TAKE_IT.search(text)
                or cues.yes_or_no(None, text))


def _reply(request: Request) -> str | None:
    """accept, reject, skip or None."""
    text = request.text or ""
    if SURPRISE.search(text) or request.intent == ALTERNATIVE_INTENT or (
            request.intent not in ACCEPT_INTENTS and ALTERNATIVE.search(text) and not cues.YES.search(text)):
        return "skip"
    if request.intent in REJECT_INTENTS:
        return "reject"
    if request.intent in ACCEPT_INTENTS:
        return "accept"
    reply = cues.yes_or_no(request.intent, text)
    if reply is None and _NEGATION.search(text):
        return "reject"  # "not that one", "I don't like it"
    if reply is None and TAKE_IT.search(text):
        return "accept"
    return {"yes": "accept", "no": "reject"}.get(reply or "")
