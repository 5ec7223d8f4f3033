"""The answer to a suggestion ("How about Curry Garden? ... Shall I book a table?"): pure decisions.

- accept ("sounds good", "yes", "book it") → the item fills the task's name slot, the profile and the
  ranking model learn it was liked, and a browsing task turns into a booking;
- reject ("no", "too pricey", "I don't like Thai") → the profile learns why, the item is never
  suggested again, and the next best one is suggested;
- "something else" → a different, diverse alternative (no taste is learnt from it);
- a detail instead ("somewhere in the north") or the name of another place is no answer: it is
  routed as a correction, and the task's next step suggests again under the new filters.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant.profile.updates import feeling
from policies import cues, slot_policy
from policies.context import Pending, Request
from policies.decisions import Decision, Feedback, Recommend, ResumeTask, SetSlot, UpdateTask
from policies.index import index

if TYPE_CHECKING:
    from assistant.domain import Domain
    from assistant.state import DialogueState

ACCEPT_INTENTS = frozenset({"accept_suggestion", "affirm"})
REJECT_INTENTS = frozenset({"reject_suggestion", "deny"})
ALTERNATIVE_INTENT = "ask_alternative"
# "something else", "another one", "what else is there": a skip, not a dislike
ALTERNATIVE = re.compile(r"\b(?:something else|anything else|another|other|different|else|alternatives?)\b", re.I)
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
    proposed = slot_policy.proposals(task.type, request.entities, domain)
    named = proposed.pop(name_slot, None)
    if named is not None and str(named).lower() != str(item.get("name", "")).lower():
        return None  # "what about the Golden Wok?": the user's own choice, routed as a slot value
    reply = _reply(request)
    if reply == "accept":
        out: list[Decision] = [Feedback(task.id, item, accepted=True), SetSlot(name_slot, item.get("name"), task.id)]
        if task.goal == "find" and task_type.responses.get("offer"):
            out.append(UpdateTask(task.id, goal="book"))  # the suggestion asked "shall I book it?"
        if task.id != state.focus:
            out.append(ResumeTask(task.id))
        # details given with the yes ("yes, for 4 people") fill the task too
        checked = slot_policy.check(task.slots, {s: v for s, v in proposed.items() if task.slots.get(s) is None}, domain,
                                   state)
        return out + slot_policy.fill(task.id, checked, domain, announce_corrections=False)
    if proposed:
        return None  # "no, somewhere cheaper in the north": new filters, routed as a correction
    if reply == "skip":
        return [Feedback(task.id, item, accepted=False, skipped=True),
                Recommend(task.id, kind, again.fallback, lead="utter_suggest_another")]
    if reply == "reject":
        reason = None if _BARE_NO.match(request.text or "") else request.text
        return [Feedback(task.id, item, accepted=False, reason=reason),
                Recommend(task.id, kind, again.fallback, lead="utter_suggestion_rejected")]
    return None


def is_answer(intent: str | None, confidence: float, text: str, floor: float) -> bool:
    """An answer to a suggestion, even when the NLU is not sure of it: an answer intent above
    ``floor``, or words that can only be one ("something else", "sounds good", "not that one")."""
    if intent in ACCEPT_INTENTS | REJECT_INTENTS | {ALTERNATIVE_INTENT} and confidence >= floor:
        return True
    return bool(ALTERNATIVE.search(text) or TAKE_IT.search(text) or cues.yes_or_no(None, text))


def _reply(request: Request) -> str | None:
    """accept, reject, skip or None."""
    text = request.text or ""
    if request.intent == ALTERNATIVE_INTENT or (request.intent not in ACCEPT_INTENTS and ALTERNATIVE.search(text)
                                                and not cues.YES.search(text)):
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
