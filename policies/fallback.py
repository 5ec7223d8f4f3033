"""Fallback policy: when the NLU is unsure, ask (offering the top two intents as buttons) or, with
nothing sensible to offer, say what the assistant can do.

A message whose entities fill a slot is understood through them, whatever its intent confidence
("4" answering "how many people?" often gets a weak intent), and so is a multi-request message.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from policies import cues, recommend_policy, slot_policy
from policies.context import Request
from policies.decisions import (ANYTHING_ELSE, CANCEL_BOOKING, CHANGE_BOOKING, CONFIRM, CONFLICT, FORGET, LEAVING,
                                OFFER, RETRY, SLOT, SUGGESTION, Decision, Recommend, Utter)
from policies.index import index
from policies.task_policy import resume_target, taken_back_unnamed

if TYPE_CHECKING:
    from assistant.domain import Domain
    from assistant.state import DialogueState
    from nlu.types import IntentPrediction, Parse
    from policies.context import TurnContext

OUT_OF_SCOPE_INTENTS = frozenset({"out_of_scope", "nlu_fallback", "chitchat"})
# intents worth offering as "did you mean ...?": requests, plus yes/no when a question is open
_NEVER_OFFERED = frozenset({"inform", "greet", "thank", "bye"}) | OUT_OF_SCOPE_INTENTS
_YES_NO = frozenset({"affirm", "deny"})
SOMETHING_ELSE = ("something else", "/help")

# how an option reads in "did you mean X or Y?"; other intents are worded from their task
INTENT_PHRASES: dict[str, str] = {
    "find_restaurant": "find a restaurant",
    "book_restaurant": "book a table",
    "find_hotel": "find a hotel",
    "book_hotel": "book a hotel",
    "find_attraction": "find something to see",
    "book_taxi": "book a taxi",
    "find_train": "look up trains",
    "book_train": "book a train",
    "affirm": "yes",
    "deny": "no",
    "inform_preference": "tell me a preference",
    "accept_suggestion": "take the suggestion",
    "reject_suggestion": "turn down the suggestion",
    "ask_alternative": "see another suggestion",
    "ask_profile": "see what I know about you",
    "ask_plans": "go over your plans",
    "forget_me": "have me forget you",
    "cancel_task": "cancel something",
    "help": "know what I can do",
    "bot_challenge": "know whether I'm a person",
}


def decide(state: DialogueState, parse: Parse, domain: Domain, ctx: TurnContext) -> list[Decision]:
    """Decisions for a message the NLU is unsure about; ``[]`` when it is understood well enough."""
    config = ctx.config
    # a yes/no question stays open through "sorry?" (a slot question is simply asked again)
    keep = ctx.pending if ctx.pending is not None and ctx.pending.expects != SLOT else None

    def utter(response: str, values: dict[str, Any] | None = None) -> list[Decision]:
        if keep is None:
            return [Utter(response, values or {})]
        return [Utter(response, values or {}, keep.task_id, expects=keep.expects, conflict=keep.conflict)]

    def out_of_scope() -> list[Decision]:
        # "what time is check-in?" to a suggestion: after "I can't help with that", the suggestion is
        # offered again (the same place), or the user is left with no question to answer
        shown = keep.recommendation if keep is not None and keep.expects == SUGGESTION else None
        if keep is not None and shown and keep.task_id and shown.get("kind"):
            return [Utter("utter_out_of_scope"), Recommend(keep.task_id, str(shown["kind"]))]
        return utter("utter_out_of_scope")

    if parse.intent.name is None or not (parse.text or "").strip():
        return utter("utter_default")
    if ctx.pending is not None and ctx.pending.expects == SUGGESTION and \
            recommend_policy.SURPRISE.search(parse.text or ""):
        return []  # "show me something random" to a suggestion: another one, whatever the intent
    if ctx.pending is None and cues.bare_acknowledgement(parse.text):
        return []  # a 👍 with no question open: noted (a smile or a greeting), however unsure the model is
    if cues.wordless(parse.text):
        return utter("utter_default")  # "🍕🍕🍕", "?": not understood, and the open question goes on
    if ctx.pending is None and state.focused_task is None and cues.no_preference(parse.text or "") \
            and not parse.entities:
        return []  # "surprise me" with nothing asked yet: the dialogue asks of what kind
    if parse.intent.name in OUT_OF_SCOPE_INTENTS:
        return out_of_scope()
    if len(parse.segments) > 1 or _answers_focused_task(state, parse, domain) or _goes_back(state, parse, domain):
        return []
    if taken_back_unnamed(Request.from_parse(parse)[0], state, domain) is not None:
        return []  # "actually I still need it" just after a cancellation: however unsure the model is
    if ctx.pending is not None and ctx.pending.expects == SUGGESTION and recommend_policy.is_answer(
            parse.intent.name, parse.intent.confidence, parse.text or "", config.option_floor):
        return []  # "too loud for me" after a suggestion: a weak reject_suggestion is still clearly an answer
    if ctx.pending is not None and ctx.pending.expects in _YES_NO_QUESTIONS and _plain_yes_or_no(parse):
        return []  # "no, keep it" to "shall I cancel it?": the words and the intent agree, however weakly
    if ctx.pending is not None and ctx.pending.expects == ANYTHING_ELSE and \
            cues.ACKNOWLEDGE.search(parse.text or ""):
        return []  # "ok", a thumbs up to "anything else?": noted, whatever the intent
    if ctx.pending is not None and ctx.pending.expects == SLOT and slot_policy.answer_no_preference(
            ctx.pending, state, Request.from_parse(parse)[0], domain) is not None:
        return []  # "surprise me" to "any kind of food you like?": the choice left to us, whatever the intent
    if ctx.pending is not None and ctx.pending.expects == SLOT and _time_from_now(state, parse, domain, ctx):
        return []  # "asap", "in 20 minutes" to "what time should the taxi pick you up?": a time, however unsure
    if ctx.pending is not None and ctx.pending.expects == SLOT and slot_policy.decline_booking(
            ctx.pending, state, Request.from_parse(parse)[0], domain) is not None:
        return []  # "no thanks, just looking" to "how many people?": the booking is not wanted
    if ctx.pending is not None and ctx.pending.expects == CONFLICT and _answers_conflict(parse.text or ""):
        return []  # "update the existing one", "I want a second one": the question's own options, in words
    ranking = parse.intent_ranking or [parse.intent]
    top = ranking[0]
    second = ranking[1] if len(ranking) > 1 else None
    if _vague_request(state, parse, domain):
        # "I need a place for tonight": however sure the model is, only the words could tell
        options = _task_options(ranking, domain)
    else:
        close = second is not None and top.confidence - second.confidence < config.ambiguity_margin
        if top.confidence >= config.fallback_threshold and not close:
            return []
        if second is not None and _same_task(top.name, second.name, domain) and \
                top.confidence + second.confidence >= config.fallback_threshold:
            return []  # "find or book a hotel?": both start the hotel, no question needed
        yes_no_open = ctx.pending is not None
        options = [
            p for p in ranking[:2]
            if p.confidence >= config.option_floor and _offerable(p.name, domain, yes_no_open)
        ]
    if not options:
        return out_of_scope()
    payload_entities = _payload_entities(parse)
    first = (phrase(options[0].name, domain), payload(options[0], payload_entities))
    other = SOMETHING_ELSE
    if len(options) > 1:
        other = (phrase(options[1].name, domain), payload(options[1], payload_entities))
    values = {"option_1": first[0], "payload_1": first[1], "option_2": other[0], "payload_2": other[1]}
    return utter("utter_clarify", values)


# what a pending question expects when it is a yes/no question
_YES_NO_QUESTIONS = frozenset({CONFIRM, OFFER, RETRY, CANCEL_BOOKING, CHANGE_BOOKING, FORGET, LEAVING})


def _plain_yes_or_no(parse: Parse) -> bool:
    """The message starts with yes or no and the likeliest intent says the same."""
    said = cues.yes_or_no(None, parse.text or "")
    return said is not None and cues.yes_or_no(parse.intent.name, "") == said


def _time_from_now(state: DialogueState, parse: Parse, domain: Domain, ctx: TurnContext) -> bool:
    request = Request.from_parse(parse)[0]
    return slot_policy.time_from_now(request, state, domain, ctx.now) != request


def _vague_request(state: DialogueState, parse: Parse, domain: Domain) -> bool:
    """A request for "a place" or "somewhere" that names no task, nor a value only one task has:
    which task it starts is a guess ("a place for tonight", "somewhere cheap in the centre": a hotel
    or a restaurant?), and the intent head's confidence on such messages is no guide (it moves with
    every retraining), so the user is asked. Within the task in focus it simply continues that task."""
    task = domain.task_for_intent(parse.intent.name)
    if task is None or not cues.VAGUE_PLACE.search(parse.text or ""):
        return False
    focused = state.focused_task
    if focused is not None and focused.type == task.name:
        return False
    if any(_names_one_task(e.entity, domain) for e in parse.entities):
        return False  # "an italian place", "a place called Zest": only a restaurant
    return not cues.named_tasks(parse.text or "", domain)


def _names_one_task(entity: str, domain: Domain) -> bool:
    """Whether a value of this entity belongs to one kind of task: a food, a star rating, a name;
    not an area, a price range, a day or a number of people, which several tasks have."""
    spec = domain.slots.get(entity)
    if spec is None:
        return False  # a bare "tonight" or "7pm" the spaCy pipeline found: a time, whatever the task
    if spec.kind == "name":
        return True
    sharing = [t for t in domain.tasks.values()
               if entity in t.slot_names or (spec.kind is not None and any(
                   domain.slots[s].kind == spec.kind for s in t.slot_names if s in domain.slots))]
    return len(sharing) == 1


def _task_options(ranking: list[IntentPrediction], domain: Domain) -> list[IntentPrediction]:
    """The two likeliest intents that start different tasks."""
    options: list[IntentPrediction] = []
    for prediction in ranking:
        task = domain.task_for_intent(prediction.name)
        if task is not None and all(domain.task_for_intent(o.name) is not task for o in options):
            options.append(prediction)
        if len(options) == 2:
            break
    return options


def _same_task(first: str | None, second: str | None, domain: Domain) -> bool:
    task = domain.task_for_intent(first)
    return task is not None and task is domain.task_for_intent(second)


def _answers_conflict(text: str) -> bool:
    """Words that pick one of a conflict question's options, whatever intent the NLU guessed."""
    return bool(cues.yes_or_no(None, text) or cues.wants_another(text)
                or any(p.search(text) for p in (cues.UPDATE, cues.KEEP, cues.CHANGE)))


def _offerable(intent: str | None, domain: Domain, yes_no_open: bool) -> bool:
    if intent is None or intent in _NEVER_OFFERED or intent not in domain.intents:
        return False
    return yes_no_open or intent not in _YES_NO


def _answers_focused_task(state: DialogueState, parse: Parse, domain: Domain) -> bool:
    """The entities fill slots of the task in focus, or the profile: the message is understood through them."""
    idx = index(domain)
    focused = state.focused_task
    values = idx.slot_values(parse.entities)
    for slot, _ in values:
        if slot in idx.profile_slots or (focused is not None and idx.maps(focused.type, slot) is not None):
            return True
    if focused is None or len(values) != 1:
        return False
    return slot_policy.fits_question(focused, values[0][0], domain) is not None


def _goes_back(state: DialogueState, parse: Parse, domain: Domain) -> bool:
    """ "Let's go back to the train" with a train to go back to: understood through its words, whatever
    the intent (a task intent of another task is a request for that task, and no going back)."""
    request = Request.from_parse(parse)[0]
    task_type = domain.task_for_intent(request.intent)
    target = resume_target(request, state, domain)
    return target is not None and (task_type is None or task_type.name == target.type)


def phrase(intent: str, domain: Domain) -> str:
    if intent in INTENT_PHRASES:
        return INTENT_PHRASES[intent]
    task = domain.task_for_intent(intent)
    if task is not None:
        verb = "find" if task.intents.get(intent) == "find" else "book"
        return f"{verb} a {task.label}"
    return intent.replace("_", " ")


def payload(option: IntentPrediction, entities: dict[str, Any]) -> str:
    """A Rasa-style payload that skips the NLU: ``/book_taxi{"taxi-destination": "station"}``."""
    return f"/{option.name}" + (json.dumps(entities, ensure_ascii=False) if entities else "")


def _payload_entities(parse: Parse) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for entity in parse.entities:
        out.setdefault(entity.entity, entity.value)
    return out
